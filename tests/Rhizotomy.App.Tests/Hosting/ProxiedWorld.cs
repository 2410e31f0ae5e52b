using System.Diagnostics;
using System.Net.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Sandbox.Ehr;

namespace Rhizotomy.App.Tests.Hosting;

/// <summary>
/// The sandbox EHR and the app, each behind nginx with TLS (a certificate made for the run): the EHR at
/// <c>https://localhost:P1</c>, the app at <c>https://127.0.0.1:P2</c>, so the app is another site than the EHR
/// that frames it. The app believes forwarded headers from nginx's address (<see cref="NginxProxy.ProxyAddress"/>)
/// only, and trusts the run's certificate for its own calls to the EHR (as a site adds its CA to the system store).
/// </summary>
public sealed class ProxiedWorld : IAsyncLifetime
{
    public const string ClientId = "rhizotomy-proxied";
    private readonly string _folder = Directory.CreateTempSubdirectory("rhizotomy-proxied-").FullName;

    public TestCertificate Certificate { get; } = new();
    public WebApplication Sandbox { get; private set; } = null!;
    public WebApplication App { get; private set; } = null!;
    public NginxProxy Proxy { get; private set; } = null!;
    public string EhrOrigin { get; private set; } = "";
    public string AppOrigin { get; private set; } = "";
    /// <summary>The app's own plain-http address (not through the proxy).</summary>
    public string AppDirect { get; private set; } = "";
    public string Issuer => EhrOrigin + "/fhir";
    public List<Activity> Spans { get; } = [];

    public Task InitializeAsync() => Loopback.OnFreePortAsync(async ehrPort =>
    {
        var appPort = Loopback.FreePort();
        EhrOrigin = $"https://localhost:{ehrPort}";
        AppOrigin = $"https://127.0.0.1:{appPort}";
        Sandbox = SandboxHost.Build(["--urls", "http://127.0.0.1:0"], b => b.Configuration
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Sandbox:Storage"] = "memory",
                ["Sandbox:DataFolder"] = Path.Combine(_folder, "sandbox"),
                ["Sandbox:PublicOrigin"] = EhrOrigin,
            })
            .AddInMemoryCollection(SandboxRegistration.PublicApp(ClientId, AppOrigin)));
        await Sandbox.StartAsync();

        App = AppHost.Build(["--urls", "http://127.0.0.1:0"], b =>
        {
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["App:PublicOrigin"] = AppOrigin,
                ["App:DataProtectionKeys"] = Path.Combine(_folder, "app-keys"),
                ["App:Ehrs:0:Issuer"] = Issuer,
                ["App:Ehrs:0:ClientId"] = ClientId,
                ["App:Ehrs:0:AuthMethod"] = "Public",
                ["App:Ehrs:0:Custodian"] = "Organization/sandbox-hospital",
                ["App:Ehrs:0:FrameAncestors:0"] = EhrOrigin,
                ["App:WriteBack:ConnectionString"] = "Data Source=" + Path.Combine(_folder, "outbox.db"),
                ["App:WriteBack:PollMs"] = "200",
                ["App:Warmup:Enabled"] = "false",
                ["App:ForwardedHeaders:KnownProxies:0"] = NginxProxy.ProxyAddress,
            });
            b.Services.ConfigureHttpClientDefaults(http => http.ConfigurePrimaryHttpMessageHandler((handler, _) =>
            {
                if (handler is SocketsHttpHandler sockets)
                    sockets.SslOptions.RemoteCertificateValidationCallback = (_, c, _, errors) => errors == SslPolicyErrors.None || Certificate.Accepts(c);
            }));
            b.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(Spans));
        });
        await App.StartAsync();
        AppDirect = Loopback.OriginOf(App);
        var sandboxPort = new Uri(Loopback.OriginOf(Sandbox)).Port;
        try
        {
            Proxy = await NginxProxy.StartAsync(Certificate,
                new NginxProxy.Site("ehr", ehrPort, [sandboxPort]),
                new NginxProxy.Site("app", appPort, [new Uri(AppDirect).Port]));
        }
        catch
        {
            await StopHostsAsync();
            throw;
        }
        return true;
    });

    /// <summary>A client that trusts the run's certificate (and nothing else more than usual).</summary>
    public HttpClient Client(bool followRedirects = true, System.Net.CookieContainer? cookies = null) =>
        new(Certificate.Handler(followRedirects, cookies));

    /// <summary>The spans exported so far.</summary>
    public List<Activity> SpansNow() => ExportedSoFar.Copy(Spans);

    private async Task StopHostsAsync()
    {
        if (App is not null)
            await App.DisposeAsync();
        if (Sandbox is not null)
            await Sandbox.DisposeAsync();
    }

    public async Task DisposeAsync()
    {
        if (Proxy is not null)
            await Proxy.DisposeAsync();
        await StopHostsAsync();
        Certificate.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
