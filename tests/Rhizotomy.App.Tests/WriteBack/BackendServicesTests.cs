using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Rhizotomy.App.Launch;
using Rhizotomy.App.WriteBack;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.WriteBack;

/// <summary>
/// A pending note whose surgeon token is gone is sent with the site's SMART Backend Services
/// credentials when the EHR entry has them, against the real sandbox authorization server.
/// </summary>
[Trait("Category", "Slow")]
public class BackendServicesTests
{
    private const string BackendClientId = "rhizotomy-backend-test";

    // No offline_access: the surgeon's token cannot be refreshed once it expired.
    private static readonly List<string> NoRefresh =
        ["openid", "fhirUser", "profile", "launch", "launch/patient", "launch/encounter", "patient/*", "user/*"];

    /// <summary>
    /// A world whose app has a Backend registration; <paramref name="registeredAtEhr"/> false: the EHR does not know that client.
    /// <paramref name="appConfiguresLater"/>: the app starts without it, the settings go there (for a later instance).
    /// </summary>
    private static Task<SmartWorld> WorldAsync(string? strategy, bool registeredAtEhr, Dictionary<string, string?>? appConfiguresLater = null) =>
        SigningTests.WorldAsync("full", strategy, realClock: false, more: o =>
        {
            o.GrantableScopes = NoRefresh;
            var key = ECDsa.Create(ECCurve.NamedCurves.nistP384).ExportPkcs8PrivateKeyPem();
            var app = appConfiguresLater ?? o.App;
            app["App:Ehrs:0:Backend:ClientId"] = BackendClientId;
            app["App:Ehrs:0:Backend:SigningKey"] = key;
            if (registeredAtEhr)
                RegisterAtSandbox(o, BackendClientId, key);
        });

    /// <summary>Registers a Backend Services client at the sandbox with the public half of <paramref name="key"/>, exactly as the app publishes it in its JWKS.</summary>
    internal static void RegisterAtSandbox(SmartWorld.Options o, string clientId, string key)
    {
        var jwks = new ClientKeys(Microsoft.Extensions.Options.Options.Create(new AppOptions
        {
            Ehrs = [new EhrRegistration { Issuer = "http://placeholder/fhir", ClientId = "launch-client", Backend = new BackendRegistration { ClientId = clientId, SigningKey = key } }],
        })).JwksJson();
        o.Sandbox["Sandbox:Clients:1:ClientId"] = clientId;
        o.Sandbox["Sandbox:Clients:1:Type"] = "asymmetric";
        o.Sandbox["Sandbox:Clients:1:Jwks"] = jwks;
        o.Sandbox["Sandbox:Clients:1:Scopes:0"] = "system/*";
    }

    [Theory]
    [InlineData(null, "transaction")]
    [InlineData("individual", "individual")]
    public async Task A_note_whose_surgeon_token_is_gone_is_written_with_backend_credentials_and_the_surgeon_stays_author(string? configured, string strategy)
    {
        await using var world = await WorldAsync(configured, registeredAtEhr: true);
        using var tab = await SurgeonTab.LaunchAsync(world);
        world.Clock.Advance(TimeSpan.FromHours(2));

        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("backend-note"));
        Assert.True(signed.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted, signed.StatusCode.ToString());
        var status = await tab.SettledAsync("backend-note", until: "written");

        Assert.Equal("written", status.GetProperty("status").GetString());
        Assert.Equal(strategy, status.GetProperty("strategy").GetString());
        Assert.Equal("backend-services", status.GetProperty("sentWith").GetString());
        var chart = await SignedNotes.ChartAsync(world);
        var document = Assert.Single(SignedNotes.Written<DocumentReference>(chart, "backend-note"));
        Assert.Equal("Practitioner/test-surgeon", document.Author.Single().Reference);
        var provenance = Assert.Single(SignedNotes.Written<Provenance>(chart, "backend-note"));
        Assert.Contains(provenance.Agent, a => a.Who?.Reference == "Practitioner/test-surgeon");
        Assert.DoesNotContain(provenance.Agent, a => a.Who?.Reference?.Contains(BackendClientId, StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task While_the_token_endpoint_fails_the_backend_fallback_retries_instead_of_waiting_for_a_launch()
    {
        await using var world = await WorldAsync(null, registeredAtEhr: true);
        using var tab = await SurgeonTab.LaunchAsync(world);
        world.Clock.Advance(TimeSpan.FromHours(2));
        using var admin = new HttpClient();
        using (var failing = await admin.PutAsJsonAsync(world.SandboxOrigin + "/admin/faults",
            new { rules = new[] { new { kind = "503", method = "POST", path = "/auth/token", rate = 1.0 } } }))
            Assert.True(failing.IsSuccessStatusCode);

        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("unreachable-note"));
        Assert.Equal(HttpStatusCode.Accepted, signed.StatusCode);
        var body = await SmartWorld.JsonAsync(signed);
        Assert.Equal("pending", body.GetProperty("status").GetString());
        Assert.Equal("EHR token endpoint unreachable", body.GetProperty("reason").GetString());
        Assert.Equal("The app cannot reach the EHR's sign-in service at the moment; the app keeps trying.", body.GetProperty("message").GetString());

        using (var cleared = await admin.PutAsJsonAsync(world.SandboxOrigin + "/admin/faults", new { rules = Array.Empty<object>() }))
            Assert.True(cleared.IsSuccessStatusCode);
        // The outbox runs on the test clock: move it past the back-off so the retry is due.
        world.Clock.Advance(TimeSpan.FromMinutes(2));
        var status = await tab.SettledAsync("unreachable-note", until: "written");
        Assert.Equal("backend-services", status.GetProperty("sentWith").GetString());
    }

    [Fact]
    public async Task A_note_still_waits_for_a_launch_when_the_ehr_refuses_the_backend_client()
    {
        await using var world = await WorldAsync(null, registeredAtEhr: false);
        using var tab = await SurgeonTab.LaunchAsync(world);
        world.Clock.Advance(TimeSpan.FromHours(2));

        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("refused-backend-note"));
        Assert.Equal(HttpStatusCode.Accepted, signed.StatusCode);
        var body = await SmartWorld.JsonAsync(signed);
        Assert.Equal("waiting-for-launch", body.GetProperty("status").GetString());
        Assert.Empty(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(world)));

        using var again = await SurgeonTab.LaunchAsync(world);
        var status = await again.SettledAsync("refused-backend-note", until: "written");
        Assert.Equal("launch", status.GetProperty("sentWith").GetString());
    }

    [Fact]
    public async Task A_note_queued_for_a_launch_before_the_site_configured_backend_services_is_sent_with_them_after_a_restart()
    {
        var backend = new Dictionary<string, string?>();
        await using var world = await WorldAsync(null, registeredAtEhr: true, appConfiguresLater: backend);
        using var tab = await SurgeonTab.LaunchAsync(world);
        world.Clock.Advance(TimeSpan.FromHours(2));

        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("queued-before-backend"));
        Assert.Equal("waiting-for-launch", (await SmartWorld.JsonAsync(signed)).GetProperty("status").GetString());

        // The site adds its Backend Services registration and restarts the app (same store, same keys); nobody launches.
        var outbox = world.App.Services.GetRequiredService<Outbox>();
        await world.StopAppAsync();
        await world.StartAnotherAppAsync(backend, sameKeys: true);

        var row = await WrittenAsync(outbox, "queued-before-backend");
        Assert.Equal(NoteSender.SentWithBackend, row.SentWith);
        var document = Assert.Single(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(world), "queued-before-backend"));
        Assert.Equal("Practitioner/test-surgeon", document.Author.Single().Reference);
    }

    [Fact]
    public async Task A_running_app_with_backend_services_wakes_a_note_another_instance_left_waiting_for_a_launch()
    {
        var backend = new Dictionary<string, string?>();
        await using var world = await WorldAsync(null, registeredAtEhr: true, appConfiguresLater: backend);
        // Started before the note exists: only its sender's normal cycle can pick the note up.
        await world.StartAnotherAppAsync(backend, sameKeys: true);
        using var tab = await SurgeonTab.LaunchAsync(world);
        world.Clock.Advance(TimeSpan.FromHours(2));

        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("waiting-elsewhere"));
        Assert.Equal(HttpStatusCode.Accepted, signed.StatusCode);
        // The instance without the credentials goes away (its lease, if it held the note, runs out on the test clock).
        var outbox = world.App.Services.GetRequiredService<Outbox>();
        await world.StopAppAsync();
        world.Clock.Advance(TimeSpan.FromMinutes(2));

        var row = await WrittenAsync(outbox, "waiting-elsewhere");
        Assert.Equal(NoteSender.SentWithBackend, row.SentWith);
        Assert.Single(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(world), "waiting-elsewhere"));
    }

    /// <summary>The stored note once written (read from the shared store; generous timeout, no timing asserted).</summary>
    private static async Task<OutboxNote> WrittenAsync(Outbox outbox, string id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var row = await outbox.FindAsync(id, CancellationToken.None);
            if (row?.Status == NoteStatus.Written)
                return row;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Note {id} is still {row?.Status} ({row?.LastError}).");
            await Task.Delay(100);
        }
    }
}
