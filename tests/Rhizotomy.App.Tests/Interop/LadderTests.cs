using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Rhizotomy.App.Tests.WriteBack;
using Rhizotomy.App.WriteBack;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Interop;

/// <summary>Point 2 of issue 14 against the sandbox's field imitations: the ladder always ends written or honestly failed.</summary>
[Trait("Category", "Slow")]
public class LadderTests
{
    [Fact]
    public async Task A_transaction_size_limit_moves_the_note_down_to_individual_creates_and_the_ehr_is_remembered()
    {
        // The limit seen in the field (more than 8 conditional entries: 400, stated nowhere); a one-nerve note has 4, so the limit here is 2.
        await using var world = await SigningTests.WorldAsync("full", more: o =>
        {
            o.Sandbox["Sandbox:Fhir:MaxConditionalEntries"] = "2";
            o.Sandbox["Sandbox:Fhir:StateMaxConditionalEntries"] = "false";
        });
        using var tab = await SurgeonTab.LaunchAsync(world);

        using var first = await tab.SignAsync(SignedNotes.LeftNeurectomy("ladder-1"));
        var written = await SurgeonTab.FinalAsync(tab, first);
        Assert.Equal("written", written.GetProperty("status").GetString());
        Assert.Equal("individual", written.GetProperty("strategy").GetString());
        Assert.Equal("ladder", written.GetProperty("strategySource").GetString());
        Assert.Equal(1, written.GetProperty("attempts").GetInt32());

        var chart = await SignedNotes.ChartAsync(world);
        Assert.Single(SignedNotes.Written<DocumentReference>(chart, "ladder-1"));
        Assert.Single(SignedNotes.Written<Composition>(chart, "ladder-1"));
        var document = SignedNotes.Written<DocumentReference>(chart, "ladder-1").Single();
        // Found by target, not by _tag.
        Assert.Single(chart.OfType<Provenance>(), p => p.Target.Any(t => t.Reference == "DocumentReference/" + document.Id));

        // Remembered in the store for this issuer: the next note starts at individual creates (no refused transaction first).
        var factory = world.App.Services.GetRequiredService<IDbContextFactory<WriteBackDb>>();
        await using (var db = await factory.CreateDbContextAsync())
            Assert.Equal("individual", (await db.Ladder.SingleAsync()).Strategy);
        using var second = await tab.SignAsync(SignedNotes.LeftNeurectomy("ladder-2"));
        var next = await SurgeonTab.FinalAsync(tab, second);
        Assert.Equal(("written", "individual", "ladder"),
            (next.GetProperty("status").GetString(), next.GetProperty("strategy").GetString(), next.GetProperty("strategySource").GetString()));
        Assert.True(next.GetProperty("roundTrips").GetInt32() < written.GetProperty("roundTrips").GetInt32(),
            "the second note wastes no round trip on a transaction the EHR refuses");
    }

    [Fact]
    public async Task A_transaction_limit_the_capability_statement_states_is_planned_within_before_any_refusal()
    {
        // The same limit, stated in rest.documentation (the sandbox's default): no refused transaction, nothing remembered.
        await using var world = await SigningTests.WorldAsync("full", more: o => o.Sandbox["Sandbox:Fhir:MaxConditionalEntries"] = "2");
        using var tab = await SurgeonTab.LaunchAsync(world);

        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("stated-limit"));
        var written = await SurgeonTab.FinalAsync(tab, signed);

        Assert.Equal(("written", "individual", "capability"),
            (written.GetProperty("status").GetString(), written.GetProperty("strategy").GetString(), written.GetProperty("strategySource").GetString()));
        // One create per resource (Procedure, Composition, DocumentReference, QuestionnaireResponse, Provenance), no transaction first.
        Assert.Equal(5, written.GetProperty("roundTrips").GetInt32());
        var factory = world.App.Services.GetRequiredService<IDbContextFactory<WriteBackDb>>();
        await using var db = await factory.CreateDbContextAsync();
        Assert.Empty(await db.Ladder.ToListAsync());
    }

    [Fact]
    public async Task A_malformed_capability_statement_never_blocks_writing()
    {
        await using var world = await SigningTests.WorldAsync("full", more: o => o.Sandbox["Sandbox:Fhir:WildMetadata"] = "true");
        using var tab = await SurgeonTab.LaunchAsync(world);

        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("malformed-cap"));
        var body = await SurgeonTab.FinalAsync(tab, signed);

        Assert.Equal(("written", "transaction", "capability"),
            (body.GetProperty("status").GetString(), body.GetProperty("strategy").GetString(), body.GetProperty("strategySource").GetString()));
    }

    [Fact]
    public async Task A_note_the_ehr_never_takes_ends_failed_after_the_configured_bound_with_its_answers_kept()
    {
        await using var world = await SigningTests.WorldAsync("full", more: o =>
        {
            o.Sandbox["Sandbox:Faults:Rules:0:Kind"] = "503";
            o.Sandbox["Sandbox:Faults:Rules:0:Rate"] = "1";
            o.Sandbox["Sandbox:Faults:Rules:0:Method"] = "POST";
            o.Sandbox["Sandbox:Faults:Rules:0:Path"] = "/fhir";
            o.Sandbox["Sandbox:Faults:Rules:0:RetryAfterSeconds"] = "0";
            o.App["App:WriteBack:MaxAttempts"] = "3";
        });
        using var tab = await SurgeonTab.LaunchAsync(world);

        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("never-taken"));
        Assert.Equal("never-taken", (await SmartWorld.JsonAsync(signed)).GetProperty("id").GetString());
        var status = await tab.SettledAsync("never-taken", until: "failed");

        Assert.Equal(3, status.GetProperty("attempts").GetInt32());
        Assert.StartsWith("gave up after 3 attempts: HTTP 503", status.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("stopped trying", status.GetProperty("message").GetString(), StringComparison.Ordinal);
        var stored = await world.App.Services.GetRequiredService<Outbox>().FindAsync("never-taken", CancellationToken.None);
        Assert.NotNull(stored?.Payload);
    }
}
