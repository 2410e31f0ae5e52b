using System.Net;
using System.Net.Http.Json;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Rhizotomy.App.WriteBack;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.WriteBack;

[Trait("Category", "Slow")]
public class ResilienceTests
{
    private static readonly string[] FaultKinds = ["429", "500", "503", "hang", "drop", "fail-after-commit", "fail-after-commit-drop"];

    /// <summary>About 30% of the EHR's writes fail, one of every kind (1 - 0.95^7).</summary>
    internal static void Faults(SmartWorld.Options o, double rate = 0.05)
    {
        o.Sandbox["Sandbox:Faults:Seed"] = "7";
        for (var i = 0; i < FaultKinds.Length; i++)
        {
            o.Sandbox[$"Sandbox:Faults:Rules:{i}:Kind"] = FaultKinds[i];
            o.Sandbox[$"Sandbox:Faults:Rules:{i}:Rate"] = rate.ToString(System.Globalization.CultureInfo.InvariantCulture);
            o.Sandbox[$"Sandbox:Faults:Rules:{i}:Method"] = "POST";
            o.Sandbox[$"Sandbox:Faults:Rules:{i}:Path"] = "/fhir";
            o.Sandbox[$"Sandbox:Faults:Rules:{i}:HangSeconds"] = "3";
            o.Sandbox[$"Sandbox:Faults:Rules:{i}:RetryAfterSeconds"] = "1";
        }
        o.App["App:WriteBack:AttemptTimeoutSeconds"] = "2";
        o.App["App:WriteBack:InlineWaitMs"] = "300";
        o.App["App:WriteBack:Concurrency"] = "8";
    }

    /// <summary>Every write (a POST) to the EHR answers 503 until <see cref="ClearFaultsAsync"/>.</summary>
    internal static void WritesFail(SmartWorld.Options o)
    {
        o.Sandbox["Sandbox:Faults:Rules:0:Kind"] = "503";
        o.Sandbox["Sandbox:Faults:Rules:0:Method"] = "POST";
    }

    /// <summary>Switches the sandbox's faults off (its admin endpoint, as an operator would).</summary>
    internal static async Task ClearFaultsAsync(SmartWorld world)
    {
        using var sandboxAdmin = new HttpClient();
        using var cleared = await sandboxAdmin.PutAsJsonAsync(world.SandboxOrigin + "/admin/faults", new { rules = Array.Empty<object>() });
        Assert.True(cleared.IsSuccessStatusCode);
    }

    [Theory]
    [InlineData("epic-like", null, 60)]
    [InlineData("full", null, 60)]
    [InlineData("full", "individual", 30)]
    public async Task With_30_percent_of_writes_failing_every_note_is_written_exactly_once(string mode, string? strategy, int notes)
    {
        await using var world = await SigningTests.WorldAsync(mode, strategy, more: o => Faults(o));
        using var tab = await SurgeonTab.LaunchAsync(world);
        var ids = Enumerable.Range(0, notes).Select(i => $"fault-{i:000}").ToList();

        using (var gate = new SemaphoreSlim(8))
        {
            await Task.WhenAll(ids.Select(async id =>
            {
                await gate.WaitAsync();
                try
                {
                    using var response = await tab.SignAsync(SignedNotes.LeftNeurectomy(id));
                    Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted, response.StatusCode.ToString());
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
        var attempts = 0;
        foreach (var id in ids)
        {
            var status = await tab.SettledAsync(id, TimeSpan.FromMinutes(3));
            Assert.True(status.GetProperty("status").GetString() == "written", status.ToString());
            attempts += status.GetProperty("attempts").GetInt32();
        }

        var chart = await SignedNotes.ChartAsync(world);
        var documents = SignedNotes.Written<DocumentReference>(chart).GroupBy(d => SignedNotes.NoteIds(d).Single()).ToList();
        Assert.Equal(notes, documents.Count);
        Assert.All(documents, g => Assert.Single(g));
        if (mode == "full")
        {
            foreach (var type in new[] { "Procedure", "Composition", "Provenance", "QuestionnaireResponse" })
            {
                var written = chart.Where(r => r.TypeName == type && SignedNotes.NoteIds(r).Any()).GroupBy(r => SignedNotes.NoteIds(r).Single()).ToList();
                Assert.Equal(notes, written.Count);
                Assert.All(written, g => Assert.Single(g));
            }
        }
        // The faults really happened: more attempts than notes.
        Assert.True(attempts > notes, $"{attempts} attempts for {notes} notes");
    }

    [Fact]
    public async Task A_token_that_expires_while_the_ehr_is_down_is_refreshed_and_the_note_written()
    {
        await using var world = await SigningTests.WorldAsync("full", realClock: false, more: WritesFail);
        using var tab = await SurgeonTab.LaunchAsync(world);

        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("expiring-note"));
        Assert.Equal(HttpStatusCode.Accepted, signed.StatusCode);
        Assert.Equal("/api/notes/expiring-note", signed.Headers.Location?.ToString());

        await ClearFaultsAsync(world);
        world.Clock.Advance(TimeSpan.FromHours(2));

        var status = await tab.SettledAsync("expiring-note", until: "written");
        Assert.True(status.GetProperty("attempts").GetInt32() >= 2);
        var outbox = world.App.Services.GetRequiredService<Outbox>();
        var tokens = outbox.Unprotect<TokenState>((await outbox.FindAsync("expiring-note", CancellationToken.None))!.Tokens);
        Assert.True(tokens!.ExpiresAt > world.Clock.GetUtcNow(), "the note was sent with a refreshed token");
        Assert.Single(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(world), "expiring-note"));
    }

    [Fact]
    public async Task A_note_whose_attempt_failed_is_sent_again_when_it_falls_due_not_at_the_next_poll()
    {
        // The store is polled every ten minutes: within the test's time only the sender's own wake-up retries the note.
        await using var world = await SigningTests.WorldAsync("full", more: o =>
        {
            WritesFail(o);
            o.App["App:WriteBack:PollMs"] = "600000";
        });
        using var tab = await SurgeonTab.LaunchAsync(world);

        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("woken-note"));
        Assert.Equal(HttpStatusCode.Accepted, signed.StatusCode);
        await ClearFaultsAsync(world);

        var status = await tab.SettledAsync("woken-note", TimeSpan.FromSeconds(90), until: "written");
        Assert.True(status.GetProperty("attempts").GetInt32() >= 2, status.ToString());
        Assert.Single(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(world), "woken-note"));
    }

    [Fact]
    public async Task When_no_token_can_be_had_the_note_waits_for_a_new_launch_and_then_is_written()
    {
        // No offline_access: the token cannot be refreshed.
        await using var world = await SigningTests.WorldAsync("full", realClock: false, more: o => o.GrantableScopes =
            ["openid", "fhirUser", "profile", "launch", "launch/patient", "launch/encounter", "patient/*", "user/*"]);
        using var tab = await SurgeonTab.LaunchAsync(world);
        world.Clock.Advance(TimeSpan.FromHours(2));

        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("waiting-note"));
        Assert.Equal(HttpStatusCode.Accepted, signed.StatusCode);
        Assert.Equal("waiting-for-launch", (await SmartWorld.JsonAsync(signed)).GetProperty("status").GetString());
        Assert.Empty(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(world)));

        using var again = await SurgeonTab.LaunchAsync(world);
        var status = await again.SettledAsync("waiting-note", until: "written");
        Assert.Single(status.GetProperty("references").EnumerateArray(), r => r.GetString()!.StartsWith("DocumentReference/", StringComparison.Ordinal));
        Assert.Single(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(world), "waiting-note"));
    }
}
