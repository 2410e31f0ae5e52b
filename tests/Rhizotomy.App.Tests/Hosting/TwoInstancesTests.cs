using System.Net;
using System.Net.Http.Json;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rhizotomy.App.Tests.Sessions;
using Rhizotomy.App.Tests.WriteBack;
using Sandbox.Ehr;
using Sandbox.Ehr.Fhir;
using Xunit.Abstractions;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Hosting;

/// <summary>
/// Two app processes behind one nginx (TLS, round-robin), sharing Redis (sessions, keys) and PostgreSQL (the outbox),
/// in front of the sandbox EHR: a launch goes on when the instance that served it is killed, SIGKILL mid-sign and
/// mid-send, then a rolling restart with notes in flight. Every signed note ends in the EHR exactly once.
/// </summary>
[Trait("Category", "Slow")]
public sealed class TwoInstancesTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string ClientId = "rhizotomy-two";
    private readonly string _folder = Directory.CreateTempSubdirectory("rhizotomy-two-").FullName;
    private TestCertificate Certificate { get; } = new();
    private RedisServer _redis = null!;
    private PostgresServer _postgres = null!;
    private WebApplication _sandbox = null!;
    private NginxProxy _proxy = null!;
    private readonly List<AppProcess> _apps = [];
    private string _appOrigin = "";
    private string _sandboxOrigin = "";

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _postgres = await PostgresServer.StartAsync();
        await Loopback.OnFreePortAsync(async proxyPort =>
        {
            _appOrigin = $"https://127.0.0.1:{proxyPort}";
            _sandbox = SandboxHost.Build(["--urls", "http://127.0.0.1:0"], b => b.Configuration
                .AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Sandbox:Storage"] = "memory",
                    ["Sandbox:Mode"] = "epic-like",
                    ["Sandbox:DataFolder"] = Path.Combine(_folder, "sandbox"),
                })
                .AddInMemoryCollection(SandboxRegistration.PublicApp(ClientId, _appOrigin)));
            await _sandbox.StartAsync();
            _sandboxOrigin = Loopback.OriginOf(_sandbox);
            await _sandbox.Services.GetRequiredService<IFhirStore>().PutAllAsync(Charts.ClassicLeft());

            var environment = new Dictionary<string, string?>
            {
                ["App__PublicOrigin"] = _appOrigin,
                ["App__Redis"] = _redis.ConnectionString,
                ["App__DataProtectionKeys"] = Path.Combine(_folder, "unused-keys"),
                ["App__Ehrs__0__Issuer"] = _sandboxOrigin + "/fhir",
                ["App__Ehrs__0__ClientId"] = ClientId,
                ["App__Ehrs__0__AuthMethod"] = "Public",
                ["App__Ehrs__0__Custodian"] = "Organization/test-hospital",
                ["App__WriteBack__Provider"] = "postgres",
                ["App__WriteBack__ConnectionString"] = _postgres.ConnectionString,
                ["App__WriteBack__InlineWaitMs"] = "100",
                // As CrashTests: the lease outlasts the attempt timeout and the sandbox's 2 s hang, so a request a killed
                // instance left in flight has landed before another instance claims the note.
                ["App__WriteBack__AttemptTimeoutSeconds"] = "4",
                ["App__WriteBack__LeaseSeconds"] = "10",
                ["App__WriteBack__PollMs"] = "200",
                ["App__WriteBack__BaseDelayMs"] = "100",
                ["App__WriteBack__MaxDelayMs"] = "1000",
                ["App__ForwardedHeaders__KnownProxies__0"] = NginxProxy.ProxyAddress,
            };
            try
            {
                for (var i = 0; i < 2; i++)
                    _apps.Add(await Loopback.OnFreePortAsync(port => AppProcess.StartAsync(port, environment)));
                _proxy = await NginxProxy.StartAsync(Certificate, new NginxProxy.Site("app", proxyPort, [.. _apps.Select(a => a.Port)]));
            }
            catch
            {
                await StopAppsAsync();
                await _sandbox.DisposeAsync();
                throw;
            }
            return true;
        });
    }

    private async Task SetFaultsAsync(object faults)
    {
        using var http = new HttpClient();
        using var response = await http.PutAsJsonAsync(_sandboxOrigin + "/admin/faults", faults);
        Assert.True(response.IsSuccessStatusCode);
    }

    /// <summary>Signs until the app answers with the note (a request cut by a kill is sent again, as the page's script does).</summary>
    private static async Task<HttpStatusCode> SignAsync(SurgeonTab tab, string noteId)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy(noteId));
                if (signed.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted or HttpStatusCode.OK || attempt >= 20)
                    return signed.StatusCode;
            }
            catch (HttpRequestException) when (attempt < 20)
            {
            }
            await Task.Delay(500);
        }
    }

    [Fact]
    public async Task Sessions_and_notes_survive_kills_and_a_rolling_restart_behind_the_balancer()
    {
        // The EHR is plain http here and the app https: HttpClient does not follow an https-to-http redirect by itself.
        using var browser = new HttpClient(Certificate.Handler(followRedirects: false, cookies: new CookieContainer()));
        var url = new Uri($"{_sandboxOrigin}/launcher/launch?practitioner=test-surgeon&patient=test-classic-left&encounter=test-classic-left-surgery&app={Uri.EscapeDataString(_appOrigin + "/launch")}");
        for (var hops = 0; ; hops++)
        {
            using var step = await browser.GetAsync(url);
            if (step.Headers.Location is not { } next || hops > 10)
            {
                Assert.Equal(HttpStatusCode.OK, step.StatusCode);
                break;
            }
            url = new Uri(url, next);
        }
        var context = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri(_appOrigin + "/api/context")));
        using var tab = new SurgeonTab(browser, _appOrigin, context.GetProperty("launchId").GetString()!, context.GetProperty("csrfToken").GetString()!);
        var sessionChecks = 0;
        var sessionsLost = 0;
        async Task CheckSessionAsync()
        {
            for (var i = 0; i < 4; i++)
            {
                sessionChecks++;
                using var request = new HttpRequestMessage(HttpMethod.Get, _appOrigin + "/api/context");
                request.Headers.Add("X-Launch-Id", tab.LaunchId);
                using var answer = await browser.SendAsync(request);
                if (answer.StatusCode != HttpStatusCode.OK)
                    sessionsLost++;
            }
        }

        // Round-robin: the launch is served by both instances in turn; then by the one left when the other is killed.
        await CheckSessionAsync();
        await _apps[0].KillAsync();
        await CheckSessionAsync();
        await _apps[0].StartAsync();

        // Every write to the EHR hangs 2 s: instance 1 is killed while signs and sends are in flight.
        await SetFaultsAsync(new { rules = new object[] { new { kind = "hang", rate = 1, method = "POST", path = "/fhir", hangSeconds = 2 } } });
        var notes = new List<string>();
        var signing = new List<Task<HttpStatusCode>>();
        for (var i = 0; i < 6; i++)
        {
            notes.Add($"two-kill-{i}");
            signing.Add(SignAsync(tab, notes[^1]));
        }
        await Task.Delay(700);
        await _apps[1].KillAsync();
        var signedUnderKill = await Task.WhenAll(signing);
        await SetFaultsAsync(new { rules = Array.Empty<object>() });
        await _apps[1].StartAsync();
        await CheckSessionAsync();

        // Rolling restart (SIGTERM, start, the next one) with notes being signed all along.
        signing.Clear();
        var rolling = Task.Run(async () =>
        {
            foreach (var app in _apps)
            {
                await app.StopAsync();
                await app.StartAsync();
            }
        });
        // A note a second while the restarts run (at least 4, at most 40: a slow machine restarts slowly, and every note
        // signed here is waited for below).
        for (var i = 0; (!rolling.IsCompleted && i < 40) || i < 4; i++)
        {
            notes.Add($"two-rolling-{i}");
            signing.Add(SignAsync(tab, notes[^1]));
            await Task.Delay(1000);
        }
        await rolling;
        var signedRolling = await Task.WhenAll(signing);
        await CheckSessionAsync();

        Assert.All(signedUnderKill.Concat(signedRolling), s => Assert.True(s is HttpStatusCode.Created or HttpStatusCode.Accepted or HttpStatusCode.OK, s.ToString()));
        var written = 0;
        foreach (var id in notes)
        {
            var status = await tab.SettledAsync(id, TimeSpan.FromSeconds(120), until: "written");
            written += status.GetProperty("status").GetString() == "written" ? 1 : 0;
        }
        // Anything the EHR was still finishing when an instance died has landed by now (the hang is 2 s).
        await Task.Delay(2500);
        var documents = (await _sandbox.Services.GetRequiredService<IFhirStore>().SearchAsync("DocumentReference", "_count=1000"))
            .Where(d => SignedNotes.NoteIds(d).Any()).GroupBy(d => SignedNotes.NoteIds(d).Single()).ToDictionary(g => g.Key, g => g.Count());
        var lost = notes.Count(n => !documents.ContainsKey(n));
        var filedTwice = documents.Values.Count(c => c > 1);
        output.WriteLine($"notes signed {notes.Count}, written {written}, lost {lost}, filed twice {filedTwice}; session checks {sessionChecks}, sessions lost {sessionsLost}");
        Assert.Equal(0, sessionsLost);
        Assert.Equal(0, lost);
        Assert.Equal(0, filedTwice);
        Assert.Equal(notes.Count, written);
    }

    private async Task StopAppsAsync()
    {
        foreach (var app in _apps)
            await app.DisposeAsync();
        _apps.Clear();
    }

    public async Task DisposeAsync()
    {
        if (_proxy is not null)
            await _proxy.DisposeAsync();
        await StopAppsAsync();
        if (_sandbox is not null)
            await _sandbox.DisposeAsync();
        await _postgres.DisposeAsync();
        await _redis.DisposeAsync();
        Certificate.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
