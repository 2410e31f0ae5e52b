using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Sandbox.Ehr.Hosting;

namespace Sandbox.Ehr.Auth;

/// <summary>
/// The sandbox's public URLs: <c>Sandbox:PublicOrigin</c> when set; else the address the server
/// listens on (tests run on random loopback ports). The request's <c>Host</c> is used only when it
/// names that address (or a loopback alias of it): links, <c>Location</c> and the issuer never echo
/// an arbitrary <c>Host</c> header.
/// </summary>
public sealed class SmartUrls(IOptions<SandboxAuthOptions> options, IServer server)
{
    public const string AuthorizePath = "/auth/authorize";
    public const string TokenPath = "/auth/token";
    public const string IntrospectPath = "/auth/introspect";
    public const string JwksPath = "/.well-known/jwks";
    public const string OpenIdConfigurationPath = "/.well-known/openid-configuration";
    public const string StylePath = "/smart-style.json";

    public string Origin(HttpContext context)
    {
        var configured = options.Value.PublicOrigin;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured.TrimEnd('/');
        }

        var request = context.Request;
        var listening = ListeningAddresses();
        if (listening.Any(address => Names(address, request.Scheme, request.Host)))
        {
            return $"{request.Scheme}://{request.Host}{request.PathBase}".TrimEnd('/');
        }

        if (listening.FirstOrDefault() is not { } first)
        {
            return SandboxHosting.DefaultUrl;
        }
        var authority = IsWildcard(first.Host) ? $"127.0.0.1:{first.Port}" : first.Authority;
        return $"{first.Scheme}://{authority}{request.PathBase}".TrimEnd('/');
    }

    public string FhirBase(HttpContext context) => Origin(context) + "/fhir";

    /// <summary>The issuer exactly as OpenIddict writes it in tokens and discovery (origin with a trailing slash).</summary>
    public string Issuer(HttpContext context) => new Uri(Origin(context) + "/").AbsoluteUri;

    public static bool SameUrl(string? left, string? right) =>
        left is not null && right is not null &&
        string.Equals(left.TrimEnd('/'), right.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    private IReadOnlyList<Uri>? _listening;

    /// <summary>
    /// The addresses the server listens on, read once: they are fixed once it listens (every request, and each
    /// token check on <c>/fhir</c>, asks). Before it listens the list is empty or names port 0, and is not kept.
    /// </summary>
    private IReadOnlyList<Uri> ListeningAddresses()
    {
        if (_listening is { } known)
        {
            return known;
        }
        List<Uri> addresses = [.. (server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
            .Select(a => Uri.TryCreate(a.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri : null)
            .OfType<Uri>()];
        if (addresses.Count > 0 && addresses.All(a => a.Port != 0))
        {
            _listening = addresses;
        }
        return addresses;
    }

    /// <summary>Whether <paramref name="host"/> reaches the listening <paramref name="address"/>: the same name, or a loopback name of a loopback or wildcard address.</summary>
    private static bool Names(Uri address, string scheme, HostString host)
    {
        if (!host.HasValue || !string.Equals(address.Scheme, scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var port = host.Port ?? (scheme == "https" ? 443 : 80);
        if (port != address.Port)
        {
            return false;
        }
        if (string.Equals(address.Host, host.Host, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return IsLoopbackName(host.Host) && (IsLoopbackName(address.Host) || IsWildcard(address.Host));
    }

    private static bool IsLoopbackName(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ||
        (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    private static bool IsWildcard(string host) => host is "0.0.0.0" or "[::]" or "::";
}
