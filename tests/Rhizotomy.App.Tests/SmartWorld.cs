using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Time.Testing;
using Rhizotomy.App.Launch;
using Sandbox.Ehr;
using Sandbox.Ehr.Fhir;

namespace Rhizotomy.App.Tests;

/// <summary>
/// The app host's clock in a test world: the time of day is a <see cref="FakeTimeProvider"/> the test moves
/// (token and session expiry, the outbox's back-off, retention and give-up) without waiting; timers and
/// timestamps stay on the system clock, because inside the host they time a real peer (HTTP timeouts and
/// Polly's retry delays against the sandbox, the sender's poll) and must elapse on their own.
/// </summary>
public sealed class TestClock : FakeTimeProvider
{
    public TestClock() : base(DateTimeOffset.UtcNow) => SetLocalTimeZone(TimeZoneInfo.Local);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        TimeProvider.System.CreateTimer(callback, state, dueTime, period);

    public override long GetTimestamp() => TimeProvider.System.GetTimestamp();

    public override long TimestampFrequency => TimeProvider.System.TimestampFrequency;
}

/// <summary>How the app authenticates in one test world.</summary>
public enum ClientKind { Public, Symmetric, AsymmetricRs384, AsymmetricEs384 }

/// <summary>
/// The real sandbox EHR and the real app, each on its own loopback port, wired to each other, and
/// a "browser" (cookie jar, follows redirects) to drive launches.
/// </summary>
public sealed class SmartWorld : IAsyncDisposable
{
    public const string ClientId = "rhizotomy-test";
    private readonly string _folder;

    private readonly Dictionary<string, string?> _appConfig;
    private readonly List<WebApplication> _extraApps = [];

    private SmartWorld(string folder, WebApplication sandbox, WebApplication app, string sandboxOrigin, string appOrigin, TestClock clock, Dictionary<string, string?> appConfig)
    {
        _appConfig = appConfig;
        _folder = folder;
        Sandbox = sandbox;
        App = app;
        SandboxOrigin = sandboxOrigin;
        AppOrigin = appOrigin;
        Clock = clock;
    }

    public WebApplication Sandbox { get; }
    public WebApplication App { get; }
    public string SandboxOrigin { get; }
    public string AppOrigin { get; }
    public string Issuer => SandboxOrigin + "/fhir";
    public TestClock Clock { get; }

    public sealed class Options
    {
        public ClientKind Client { get; set; } = ClientKind.Public;
        /// <summary>Scopes the sandbox may grant this client (narrower than asked: a narrowed grant).</summary>
        public List<string>? GrantableScopes { get; set; }
        public Dictionary<string, string?> Sandbox { get; } = [];
        public Dictionary<string, string?> App { get; } = [];
        /// <summary>Redis connection string: sessions and data-protection keys go there.</summary>
        public string? RedisConnection { get; set; }
        /// <summary>Extra wiring of the sandbox host (e.g. a recorder of its token endpoint).</summary>
        public Action<WebApplicationBuilder>? ConfigureSandbox { get; set; }
        /// <summary>Extra wiring of the app host (e.g. an in-memory telemetry exporter).</summary>
        public Action<WebApplicationBuilder>? ConfigureApp { get; set; }
        /// <summary>The app runs on the system clock (back-off and retries that must really happen).</summary>
        public bool RealClock { get; set; }
    }

    public static async Task<SmartWorld> StartAsync(Options? options = null)
    {
        options ??= new Options();
        // The app's port must be known before the sandbox starts (its redirect URI is registered
        // there), so it is picked free and bound later; another process can take it in between.
        // Then the whole world starts again on another port.
        return await Loopback.OnFreePortAsync(port => StartOnceAsync(options, port));
    }

    private static async Task<SmartWorld> StartOnceAsync(Options options, int appPort)
    {
        var folder = Directory.CreateTempSubdirectory("rhizotomy-app-test-").FullName;
        var appOrigin = $"http://127.0.0.1:{appPort}";

        string? signingKey = null;
        string? jwks = null;
        if (options.Client is ClientKind.AsymmetricRs384 or ClientKind.AsymmetricEs384)
        {
            signingKey = options.Client == ClientKind.AsymmetricRs384
                ? RSA.Create(2048).ExportPkcs8PrivateKeyPem()
                : ECDsa.Create(ECCurve.NamedCurves.nistP384).ExportPkcs8PrivateKeyPem();
            var keys = new ClientKeys(Microsoft.Extensions.Options.Options.Create(new AppOptions
            {
                Ehrs = [new EhrRegistration { Issuer = "http://placeholder/fhir", ClientId = ClientId, AuthMethod = ClientAuthMethod.PrivateKeyJwt, SigningKey = signingKey }],
            }));
            jwks = keys.JwksJson();
        }

        var scopes = options.GrantableScopes ??
        [
            "openid", "fhirUser", "profile", "launch", "launch/patient", "launch/encounter",
            "offline_access", "online_access", "patient/*", "user/*",
        ];
        var sandboxConfig = new Dictionary<string, string?>
        {
            ["Sandbox:Storage"] = "memory",
            ["Sandbox:DataFolder"] = Path.Combine(folder, "sandbox"),
            ["Sandbox:Clients:0:ClientId"] = ClientId,
            ["Sandbox:Clients:0:Type"] = options.Client switch
            {
                ClientKind.Public => "public",
                ClientKind.Symmetric => "symmetric",
                _ => "asymmetric",
            },
            ["Sandbox:Clients:0:Secret"] = options.Client == ClientKind.Symmetric ? "test-secret-" + appPort : null,
            ["Sandbox:Clients:0:Jwks"] = jwks,
            ["Sandbox:Clients:0:RedirectUris:0"] = appOrigin + "/callback",
            ["Sandbox:Clients:0:LaunchUrl"] = appOrigin + "/launch",
        };
        for (var i = 0; i < scopes.Count; i++)
            sandboxConfig[$"Sandbox:Clients:0:Scopes:{i}"] = scopes[i];
        foreach (var (k, v) in options.Sandbox)
            sandboxConfig[k] = v;

        var sandbox = SandboxHost.Build(["--urls", "http://127.0.0.1:0", "--environment", "Development"], b =>
        {
            b.Configuration.AddInMemoryCollection(sandboxConfig);
            options.ConfigureSandbox?.Invoke(b);
        });
        await sandbox.StartAsync();
        var sandboxOrigin = sandbox.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

        var appConfig = new Dictionary<string, string?>
        {
            ["App:PublicOrigin"] = appOrigin,
            ["App:DataProtectionKeys"] = Path.Combine(folder, "app-keys"),
            ["App:Redis"] = options.RedisConnection,
            ["App:Ehrs:0:Issuer"] = sandboxOrigin + "/fhir",
            ["App:Ehrs:0:ClientId"] = ClientId,
            ["App:Ehrs:0:AuthMethod"] = options.Client switch
            {
                ClientKind.Public => "Public",
                ClientKind.Symmetric => "ClientSecretBasic",
                _ => "PrivateKeyJwt",
            },
            ["App:Ehrs:0:ClientSecret"] = options.Client == ClientKind.Symmetric ? "test-secret-" + appPort : null,
            ["App:Ehrs:0:SigningKey"] = signingKey,
            ["App:Ehrs:0:FrameAncestors:0"] = sandboxOrigin,
            ["App:Ehrs:0:Custodian"] = "Organization/test-hospital",
            ["App:WriteBack:ConnectionString"] = "Data Source=" + Path.Combine(folder, "outbox.db"),
            // Every test host would pay for the start-up warm-up on a shared 2-core machine; its own tests and the browser tests turn it on.
            ["App:Warmup:Enabled"] = "false",
        };
        foreach (var (k, v) in options.App)
            appConfig[k] = v;

        var clock = new TestClock();
        var app = AppHost.Build(["--urls", appOrigin], b =>
        {
            b.Configuration.AddInMemoryCollection(appConfig);
            if (!options.RealClock)
                b.Services.AddSingleton<TimeProvider>(clock);
            options.ConfigureApp?.Invoke(b);
        });
        try
        {
            await app.StartAsync();
        }
        catch (IOException)
        {
            await app.DisposeAsync();
            await sandbox.StopAsync();
            await sandbox.DisposeAsync();
            throw;
        }
        return new SmartWorld(folder, sandbox, app, sandboxOrigin, appOrigin, clock, appConfig);
    }

    /// <summary>
    /// Another instance of the app with the same configuration (scale-out), on its own port;
    /// <paramref name="changes"/>: with these settings changed (the site's configuration after an edit).
    /// </summary>
    public async Task<string> StartAnotherAppAsync(IReadOnlyDictionary<string, string?>? changes = null, bool sameKeys = false)
    {
        var config = new Dictionary<string, string?>(_appConfig)
        {
            // Its own key folder: with Redis the keys must come from Redis, not from a shared disk.
            // The same folder (sameKeys): the app restarted on this machine, reading what it stored before.
            ["App:DataProtectionKeys"] = sameKeys ? _appConfig["App:DataProtectionKeys"] : Path.Combine(_folder, "app-keys-" + _extraApps.Count),
        };
        foreach (var (key, value) in changes ?? new Dictionary<string, string?>())
            config[key] = value;
        var app = AppHost.Build(["--urls", "http://127.0.0.1:0"], b =>
        {
            b.Configuration.AddInMemoryCollection(config);
            b.Services.AddSingleton<TimeProvider>(Clock);
        });
        await app.StartAsync();
        _extraApps.Add(app);
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }

    /// <summary>Stores resources in the sandbox directly (its own store), for charts built by the test.</summary>
    public async Task SeedAsync(params Hl7.Fhir.Model.Resource[] resources)
    {
        await Sandbox.Services.GetRequiredService<IFhirStore>().PutAllAsync(resources);
    }

    /// <summary>A browser: its own cookie jar, follows redirects across the two hosts.</summary>
    public static HttpClient Browser(bool followRedirects = true) =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = followRedirects, UseCookies = true })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };

    /// <summary>The sandbox launcher's EHR launch of the app for a patient; the browser ends on the app's page.</summary>
    public Uri LaunchUrl(string patient, string practitioner = "surgeon-1", string? encounter = null) =>
        new($"{SandboxOrigin}/launcher/launch?practitioner={practitioner}&patient={patient}"
            + (encounter is null ? "" : "&encounter=" + encounter) + "&app=" + Uri.EscapeDataString(AppOrigin + "/launch"));

    /// <summary>Walks an EHR launch one redirect at a time and stops at the app's callback (not yet called).</summary>
    public async Task<Uri> CallbackUrlAsync(HttpClient browser, string patient, string practitioner = "surgeon-1")
    {
        var next = LaunchUrl(patient, practitioner);
        for (var hop = 0; hop < 10; hop++)
        {
            if (next.AbsolutePath == "/callback" && next.Authority == new Uri(AppOrigin).Authority)
                return next;
            using var response = await browser.GetAsync(next);
            var location = response.Headers.Location ?? throw new InvalidOperationException($"No redirect from {next.AbsolutePath} ({(int)response.StatusCode}).");
            next = location.IsAbsoluteUri ? location : new Uri(next, location);
        }
        throw new InvalidOperationException("The launch did not reach the callback.");
    }

    /// <summary>Reads JSON from the app.</summary>
    public static async Task<System.Text.Json.JsonElement> JsonAsync(HttpResponseMessage response) =>
        System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    public static int FreePort() => Loopback.FreePort();

    private bool _appStopped;

    /// <summary>Stops the first app instance (an app going down for a restart); the store and the sandbox stay.</summary>
    public async Task StopAppAsync()
    {
        if (_appStopped)
            return;
        _appStopped = true;
        await App.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var extra in _extraApps)
        {
            await extra.StopAsync();
            await extra.DisposeAsync();
        }
        await StopAppAsync();
        await App.DisposeAsync();
        await Sandbox.StopAsync();
        await Sandbox.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
