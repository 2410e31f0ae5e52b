using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Rhizotomy.App.Launch;

namespace Rhizotomy.App.Hosting;

/// <summary>
/// The reverse proxy in front of the app (<c>App:ForwardedHeaders</c>): whose <c>X-Forwarded-For</c>,
/// <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Host</c> are believed. Nobody's by default.
/// </summary>
public sealed class ForwardedHeadersSettings
{
    public const string Section = "App:ForwardedHeaders";
    /// <summary>Addresses of the proxies (<c>10.0.0.5</c>) whose forwarded headers are taken.</summary>
    public List<string> KnownProxies { get; set; } = [];
    /// <summary>Networks of the proxies in CIDR form (<c>10.0.0.0/24</c>).</summary>
    public List<string> KnownNetworks { get; set; } = [];
    /// <summary>How many proxies in a row are believed (the nearest first).</summary>
    public int ForwardLimit { get; set; } = 1;

    public bool IsConfigured => KnownProxies.Count > 0 || KnownNetworks.Count > 0;
}

public static class ProxySetup
{
    /// <summary>
    /// Forwarded headers from the configured proxies only: ASP.NET Core's default trust of loopback is dropped, so a
    /// request that did not come through a listed proxy keeps its own address and scheme whatever headers it carries;
    /// <c>X-Forwarded-Host</c> is taken only when it is the host of <c>App:PublicOrigin</c>.
    /// </summary>
    public static WebApplicationBuilder AddProxySupport(this WebApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection(ForwardedHeadersSettings.Section).Get<ForwardedHeadersSettings>() ?? new ForwardedHeadersSettings();
        builder.Services.AddOptions<ForwardedHeadersSettings>().Bind(builder.Configuration.GetSection(ForwardedHeadersSettings.Section));
        var proxies = new List<IPAddress>();
        foreach (var proxy in settings.KnownProxies)
        {
            if (!IPAddress.TryParse(proxy, out var address))
                throw new SettingsException($"App:ForwardedHeaders:KnownProxies has '{proxy}': put the proxy's IP address, such as 10.0.0.5.");
            proxies.Add(address);
        }
        var networks = new List<System.Net.IPNetwork>();
        foreach (var network in settings.KnownNetworks)
        {
            if (!System.Net.IPNetwork.TryParse(network, out var parsed))
                throw new SettingsException($"App:ForwardedHeaders:KnownNetworks has '{network}': put a network in CIDR form, such as 10.0.0.0/24.");
            networks.Add(parsed);
        }
        if (settings.ForwardLimit < 1)
            throw new SettingsException($"App:ForwardedHeaders:ForwardLimit is {settings.ForwardLimit}: put 1 (one proxy) or the number of proxies in a row.");

        var publicOrigin = builder.Configuration[$"{AppOptions.Section}:{nameof(AppOptions.PublicOrigin)}"] ?? new AppOptions().PublicOrigin;
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            o.ForwardLimit = settings.ForwardLimit;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in proxies)
                o.KnownProxies.Add(proxy);
            foreach (var network in networks)
                o.KnownIPNetworks.Add(network);
            if (Uri.TryCreate(publicOrigin, UriKind.Absolute, out var origin))
                o.AllowedHosts = [origin.Host];
        });
        return builder;
    }

    /// <summary>First in the pipeline, when a proxy is configured: everything after sees the client's address and scheme.</summary>
    public static WebApplication UseProxySupport(this WebApplication app)
    {
        var settings = app.Configuration.GetSection(ForwardedHeadersSettings.Section).Get<ForwardedHeadersSettings>() ?? new ForwardedHeadersSettings();
        if (settings.IsConfigured)
            app.UseForwardedHeaders();
        return app;
    }
}
