using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Rhizotomy.App.WriteBack;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.WriteBack;

[Trait("Category", "Slow")]
public class StoreTests
{
    [Fact]
    public async Task PostgreSQL_whose_port_another_process_took_first_starts_on_another_port()
    {
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((System.Net.IPEndPoint)squatter.LocalEndpoint).Port;

        await using var postgres = await PostgresServer.StartAsync(firstPort: taken);

        Assert.NotEqual(taken, postgres.Port);
        await using var connection = new Npgsql.NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("select 1", connection);
        Assert.Equal(1, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task On_postgresql_a_signed_note_is_stored_encrypted_and_written_once()
    {
        await using var postgres = await PostgresServer.StartAsync();
        await using var world = await SigningTests.WorldAsync("full", more: o =>
        {
            o.App["App:WriteBack:Provider"] = "postgres";
            o.App["App:WriteBack:ConnectionString"] = postgres.ConnectionString;
        });
        using var tab = await SurgeonTab.LaunchAsync(world);
        var body = new FhirJsonSerializer().SerializeToString(SignedNotes.LeftNeurectomy("pg-note"));

        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => tab.SignAsync(body)));
        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted, a.StatusCode.ToString()));
        Assert.Equal("written", (await tab.SettledAsync("pg-note")).GetProperty("status").GetString());
        Assert.Single(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(world), "pg-note"));

        await using var db = new WriteBackDb(new DbContextOptionsBuilder<WriteBackDb>().UseNpgsql(postgres.ConnectionString).Options);
        var row = await db.Notes.AsNoTracking().SingleAsync(n => n.Id == "pg-note");
        Assert.Equal(NoteStatus.Written, row.Status);
        Assert.DoesNotContain("test-classic-left", Encoding.UTF8.GetString(row.Payload!));
        Assert.DoesNotContain("test-classic-left", row.OwnerKey + row.SurgeonKey + row.Written);
    }

    [Fact]
    public async Task The_sqlite_store_holds_no_readable_phi_and_drops_the_content_after_retention()
    {
        // The app's clock is the test's: retention is over when the test says so, not when a wall clock says so.
        await using var world = await SigningTests.WorldAsync("full", realClock: false, more: o => o.App["App:WriteBack:RetentionHours"] = "1");
        using var tab = await SurgeonTab.LaunchAsync(world);

        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("retained-note"));
        Assert.Equal("written", (await SurgeonTab.FinalAsync(tab, signed)).GetProperty("status").GetString());

        var outbox = world.App.Services.GetRequiredService<Outbox>();
        Assert.Equal(0, await outbox.PurgeAsync(CancellationToken.None));
        Assert.NotNull((await outbox.FindAsync("retained-note", CancellationToken.None))!.Payload);

        world.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        // The sender's next cycle purges it (generous timeout: the test waits for the purge, it does not time it).
        var row = await UntilAsync(() => outbox.FindAsync("retained-note", CancellationToken.None), r => r!.Payload is null, TimeSpan.FromMinutes(2));
        Assert.Null(row!.Tokens);
        Assert.Equal(NoteStatus.Written, row.Status);
        // The replay still answers with what was written, and writes nothing new.
        using var replay = await tab.SignAsync(SignedNotes.LeftNeurectomy("retained-note"));
        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.Single(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(world), "retained-note"));

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var folder = Path.GetDirectoryName(world.App.Services.GetService(typeof(Microsoft.Extensions.Configuration.IConfiguration)) is Microsoft.Extensions.Configuration.IConfiguration c
            ? c["App:WriteBack:ConnectionString"]!["Data Source=".Length..] : throw new InvalidOperationException())!;
        foreach (var file in Directory.GetFiles(folder, "outbox.db*"))
        {
            var bytes = Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file));
            Assert.DoesNotContain("test-classic-left", bytes);
            Assert.DoesNotContain("neurectomy", bytes, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>Reads until the condition holds; throws after <paramref name="timeout"/> (a generous bound, never a measured time).</summary>
    private static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await read();
            if (done(value))
                return value;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("The condition did not hold within " + timeout + ".");
            await Task.Delay(50);
        }
    }
}

/// <summary>
/// Drafts around signing, in the shared full-FHIR world: each test launches a patient of its own (the classic-left
/// chart under another id, seeded for it), so another test's drafts of the same surgeon never meet its own.
/// </summary>
[Trait("Category", "Slow")]
[Collection(EhrWorldsCollection.Name)]
public class DraftSigningTests(EhrWorlds worlds)
{
    private async Task<(SmartWorld World, SurgeonTab Tab)> LaunchOwnPatientAsync(string patient)
    {
        var world = await worlds.FullAsync();
        await world.SeedAsync(Charts.ClassicLeft(patient));
        var tab = await SurgeonTab.LaunchAsync(world, patient, patient + "-surgery");
        return (world, tab);
    }

    /// <summary>The completed left neurectomy for <paramref name="patient"/>.</summary>
    private static QuestionnaireResponse NoteOf(string noteId, string patient)
    {
        var note = SignedNotes.LeftNeurectomy(noteId);
        note.Subject = new ResourceReference("Patient/" + patient);
        note.Encounter = new ResourceReference($"Encounter/{patient}-surgery");
        return note;
    }

    [Fact]
    public async Task Signing_a_note_discards_its_draft_so_a_relaunch_does_not_offer_it_again()
    {
        var (world, tabOpened) = await LaunchOwnPatientAsync("test-drafted-then-signed");
        using var tab = tabOpened;
        var context = await SmartWorld.JsonAsync(await tab.Browser.GetAsync(new Uri(world.AppOrigin + "/api/context")));
        using (var save = new HttpRequestMessage(HttpMethod.Put, world.AppOrigin + "/api/drafts"))
        {
            save.Content = new StringContent(new FhirJsonSerializer().SerializeToString(NoteOf("drafted-then-signed", "test-drafted-then-signed")), Encoding.UTF8, "application/fhir+json");
            save.Headers.Add("X-Launch-Id", tab.LaunchId);
            save.Headers.Add("X-CSRF-Token", context.GetProperty("csrfToken").GetString());
            using var saved = await tab.Browser.SendAsync(save);
            Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);
        }
        // A draft of the other template, started beside it, is not this note.
        using (var save = new HttpRequestMessage(HttpMethod.Put, world.AppOrigin + "/api/drafts"))
        {
            var coagulation = new QuestionnaireResponse
            {
                Questionnaire = Rhizotomy.Core.Templates.TemplateDefinitions.Build(Rhizotomy.Core.Clinical.Technique.Coagulation).Url,
                Status = QuestionnaireResponse.QuestionnaireResponseStatus.InProgress,
                Identifier = new Identifier(Rhizotomy.Core.Clinical.Known.NoteIdentifierSystem, "coagulation-draft"),
            };
            save.Content = new StringContent(new FhirJsonSerializer().SerializeToString(coagulation), Encoding.UTF8, "application/fhir+json");
            save.Headers.Add("X-Launch-Id", tab.LaunchId);
            save.Headers.Add("X-CSRF-Token", context.GetProperty("csrfToken").GetString());
            using var saved = await tab.Browser.SendAsync(save);
            Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);
        }
        using (var before = await tab.Browser.GetAsync(new Uri(world.AppOrigin + "/api/drafts?template=occipital-neurectomy")))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        using var signed = await tab.SignAsync(NoteOf("drafted-then-signed", "test-drafted-then-signed"));
        Assert.Equal("written", (await SurgeonTab.FinalAsync(tab, signed)).GetProperty("status").GetString());

        using var again = await SurgeonTab.LaunchAsync(world, "test-drafted-then-signed", "test-drafted-then-signed-surgery");
        using var after = await again.Browser.GetAsync(new Uri(world.AppOrigin + "/api/drafts?template=occipital-neurectomy"));
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
        using var other = await again.Browser.GetAsync(new Uri(world.AppOrigin + "/api/drafts?template=occipital-coagulation"));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Contains("coagulation-draft", await other.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_draft_is_saved_for_the_launch_patient_and_surgeon_and_resumed_after_a_relaunch()
    {
        var (world, tabOpened) = await LaunchOwnPatientAsync("test-draft-resumed");
        using var tab = tabOpened;
        var draft = NoteOf("draft-note", "test-draft-resumed");
        draft.Subject = new ResourceReference("Patient/someone-else");

        using (var save = new HttpRequestMessage(HttpMethod.Put, world.AppOrigin + "/api/drafts"))
        {
            save.Content = new StringContent(new FhirJsonSerializer().SerializeToString(draft), Encoding.UTF8, "application/fhir+json");
            save.Headers.Add("X-Launch-Id", tab.LaunchId);
            using var refused = await tab.Browser.SendAsync(save);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        var context = await SmartWorld.JsonAsync(await tab.Browser.GetAsync(new Uri(world.AppOrigin + "/api/context")));
        using (var save = new HttpRequestMessage(HttpMethod.Put, world.AppOrigin + "/api/drafts"))
        {
            save.Content = new StringContent(new FhirJsonSerializer().SerializeToString(draft), Encoding.UTF8, "application/fhir+json");
            save.Headers.Add("X-Launch-Id", tab.LaunchId);
            save.Headers.Add("X-CSRF-Token", context.GetProperty("csrfToken").GetString());
            using var saved = await tab.Browser.SendAsync(save);
            Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);
        }

        using var again = await SurgeonTab.LaunchAsync(world, "test-draft-resumed", "test-draft-resumed-surgery");
        using var resumed = await again.Browser.GetAsync(new Uri(world.AppOrigin + "/api/drafts"));
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        var response = new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<QuestionnaireResponse>(await resumed.Content.ReadAsStringAsync());
        Assert.Equal("draft-note", response.Identifier!.Value);
        Assert.Equal("Patient/test-draft-resumed", response.Subject!.Reference);
        Assert.Equal(QuestionnaireResponse.QuestionnaireResponseStatus.InProgress, response.Status);
    }
}
