using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Rhizotomy.App.Tests.Interop;
using Rhizotomy.App.Tests.WriteBack;
using Rhizotomy.App.WriteBack;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Evidence;
using Rhizotomy.Core.Prefill;
using Rhizotomy.Core.Templates;
using Xunit.Abstractions;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Independent;

/// <summary>
/// Issue 14 point 8: the app against a FHIR server nobody here wrote (Medplum's FHIR router, see
/// <see cref="IndependentServer"/>): an EHR launch, the chart reads with paging, every write strategy, the ladder's
/// fallback, the planner within a stated limit and <c>rhizotomy ehr-check</c>.
/// </summary>
[Trait("Category", "Slow")]
public class IndependentServerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_ehr_launch_reads_the_chart_across_small_pages()
    {
        // One entry a page: every search with more than one match is read by following next links.
        await using var world = await IndependentWorld.StartAsync(pageSize: 1);
        await world.Server.LoadAsync([new Condition
        {
            Id = "test-classic-left-second", Subject = new ResourceReference("Patient/test-classic-left"),
            ClinicalStatus = new CodeableConcept(Known.Systems.ConditionClinical, "active"),
            VerificationStatus = new CodeableConcept(Known.Systems.ConditionVerification, "confirmed"),
            Code = new CodeableConcept(Known.Systems.Icd10Cm, "G44.86", "Cervicogenic headache"),
            Onset = new FhirDateTime("2021-05"),
        }]);

        using var tab = await world.LaunchAsync();
        using var page = await tab.Browser.GetAsync(new Uri($"{world.World.AppOrigin}/s/{tab.LaunchId}"));
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Occipital neuralgia", html, StringComparison.Ordinal);
        // Two diagnoses, one a page: the second is on the page the next link leads to.
        Assert.Contains("Cervicogenic headache", html, StringComparison.Ordinal);
        Assert.Contains("85% relief", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "transaction", 5)]
    [InlineData("individual", "individual", 5)]
    [InlineData("document-only", "document-only", 1)]
    public async Task Every_write_strategy_writes_the_note_once_linked(string? configured, string strategy, int resources)
    {
        await using var world = await IndependentWorld.StartAsync(strategy: configured);
        using var tab = await world.LaunchAsync();
        var note = new FhirJsonSerializer().SerializeToString(SignedNotes.LeftNeurectomy("indep-" + strategy));

        using var signed = await tab.SignAsync(note);
        var body = await SurgeonTab.FinalAsync(tab, signed);
        // Signed again (a double click, a retry after a lost answer): found, not written twice.
        using var again = await tab.SignAsync(note);
        Assert.True(again.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted, again.StatusCode.ToString());

        Assert.True(body.GetProperty("status").GetString() == "written", body.ToString());
        Assert.Equal(strategy, body.GetProperty("strategy").GetString());
        var references = body.GetProperty("references").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Equal(resources, references.Count);
        var document = Assert.Single(SignedNotes.Written<DocumentReference>(await world.Server.AllAsync<DocumentReference>(), "indep-"));
        Assert.Contains("DocumentReference/" + document.Id, references);
        Assert.Equal("Patient/test-classic-left", document.Subject!.Reference);
        if (strategy == "document-only")
            return;
        var procedure = Assert.Single(SignedNotes.Written<Procedure>(await world.Server.AllAsync<Procedure>(), "indep-"));
        Assert.Contains("Procedure/" + procedure.Id, references);
        // The urn:uuid references of the request were resolved to what the server created.
        var composition = Assert.Single(SignedNotes.Written<Composition>(await world.Server.AllAsync<Composition>(), "indep-"));
        Assert.Contains(composition.Section.SelectMany(s => s.Entry), e => e.Reference == "Procedure/" + procedure.Id);
        var provenance = Assert.Single(await world.Server.AllAsync<Provenance>(), p => p.Target.Any(t => t.Reference == "DocumentReference/" + document.Id));
        Assert.Contains(provenance.Target, t => t.Reference == "Procedure/" + procedure.Id);
        Assert.Contains(provenance.Target, t => t.Reference == "Composition/" + composition.Id);
        Resource[] written = [document, procedure, composition, provenance];
        Assert.DoesNotContain(written, r => new FhirJsonSerializer().SerializeToString(r).Contains("urn:uuid:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_six_side_note_the_server_refuses_as_one_transaction_goes_down_the_ladder_and_is_written()
    {
        await using var world = await IndependentWorld.StartAsync();
        var (tab, body) = await SignSixSidesAsync(world, "indep-six");
        tab.Dispose();

        // Medplum's router refuses a transaction with conditional entries above 8 entries (400 "Transaction requires strict
        // isolation but has too many entries"); this note's has 9. The ladder moves down at once and remembers the EHR.
        Assert.True(body.GetProperty("status").GetString() == "written", body.ToString());
        Assert.Equal(("individual", "ladder"), (body.GetProperty("strategy").GetString(), body.GetProperty("strategySource").GetString()));
        Assert.Equal(1, body.GetProperty("attempts").GetInt32());
        Assert.Equal(6, SignedNotes.Written<Procedure>(await world.Server.AllAsync<Procedure>(), "indep-six").Count);
        Assert.Single(SignedNotes.Written<DocumentReference>(await world.Server.AllAsync<DocumentReference>(), "indep-six"));
        var remembered = Assert.Single(await LadderAsync(world));
        Assert.Equal("individual", remembered.Strategy);
        Assert.Contains("HTTP 400", remembered.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_transaction_limit_the_server_states_is_planned_within_before_any_refusal()
    {
        await using var world = await IndependentWorld.StartAsync(stateLimit: true);
        var (tab, body) = await SignSixSidesAsync(world, "indep-six-stated");
        using var _ = tab;

        Assert.True(body.GetProperty("status").GetString() == "written", body.ToString());
        Assert.Equal(("individual", "capability"), (body.GetProperty("strategy").GetString(), body.GetProperty("strategySource").GetString()));
        // No refused transaction first: one create per resource (6 Procedures, Composition, DocumentReference, QuestionnaireResponse, Provenance).
        Assert.Equal(10, body.GetProperty("roundTrips").GetInt32());
        Assert.Empty(await LadderAsync(world));

        // A note within the limit still goes as one transaction.
        using var small = await tab.SignAsync(SixSides.Note("indep-one-stated", sides: 1));
        var smallBody = await SurgeonTab.FinalAsync(tab, small);
        Assert.Equal(("written", "transaction"), (smallBody.GetProperty("status").GetString(), smallBody.GetProperty("strategy").GetString()));
    }

    /// <summary>Loads the six-side chart, launches for it and signs a six-side neurectomy; the note's final status.</summary>
    private static async Task<(SurgeonTab Tab, JsonElement Body)> SignSixSidesAsync(IndependentWorld world, string noteId)
    {
        await world.LoadAsync(SixSides.Chart());
        var tab = await world.LaunchAsync(SixSides.Patient, SixSides.Patient + "-surgery");
        using var signed = await tab.SignAsync(SixSides.Note(noteId));
        return (tab, await SurgeonTab.FinalAsync(tab, signed));
    }

    /// <summary>What the write ladder remembers, per EHR, in the app's store.</summary>
    private static async Task<List<EhrWriteMemory>> LadderAsync(IndependentWorld world)
    {
        var factory = world.World.App.Services.GetRequiredService<IDbContextFactory<WriteBackDb>>();
        await using var db = await factory.CreateDbContextAsync();
        return await db.Ladder.ToListAsync();
    }

    [Fact]
    public async Task Ehr_check_reports_the_independent_server_and_its_write_test_round_trips()
    {
        const string backendClient = "rhizotomy-ehr-check";
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP384).ExportPkcs8PrivateKeyPem();
        await using var world = await IndependentWorld.StartAsync(more: o => BackendServicesTests.RegisterAtSandbox(o, backendClient, key));
        var folder = Directory.CreateTempSubdirectory("ehr-check-independent-");
        try
        {
            var settings = Path.Combine(folder.FullName, "appsettings.json");
            await File.WriteAllTextAsync(settings, JsonSerializer.Serialize(new
            {
                App = new { Ehrs = new[] { new { Issuer = world.Issuer, ClientId = SmartWorld.ClientId, Custodian = "Organization/test-hospital", Backend = new { ClientId = backendClient, SigningKey = key, Scopes = "system/*.cruds" } } } },
            }));

            var (exit, table, error) = EhrCheckTests.Run("ehr-check", "--issuer", world.Issuer, "--settings", settings, "--write-test", "test-classic-left");
            output.WriteLine(table);
            var (jsonExit, report, checks, _) = EhrCheckTests.Json(world.Issuer, "--settings", settings, "--write-test", "test-classic-left");

            Assert.True(exit == 0, error + table);
            Assert.Equal(0, jsonExit);
            Assert.Equal("transaction", report.GetProperty("strategy").GetString());
            Assert.Equal(("ok", "found"), (checks["SMART discovery"].GetProperty("level").GetString(), checks["SMART discovery"].GetProperty("result").GetString()));
            Assert.Equal("4.0.1", checks["FHIR version"].GetProperty("result").GetString());
            Assert.Equal("read, search", checks["Read Condition"].GetProperty("result").GetString());
            Assert.Equal("supported", checks["Transaction"].GetProperty("result").GetString());
            Assert.Equal("ok", checks["Write test"].GetProperty("level").GetString());
            Assert.StartsWith("transaction: written 2, read back 2", checks["Write test"].GetProperty("result").GetString(), StringComparison.Ordinal);
            // Cleaned up: nothing of the write test is left on the test patient.
            Assert.DoesNotContain(await world.Server.AllAsync<DocumentReference>(), d => d.Identifier.Any(i => i.Value?.StartsWith("ehr-check-", StringComparison.Ordinal) == true));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}

/// <summary>A chart and note with every nerve on both sides: six Procedures, so its transaction holds 9 entries.</summary>
internal static class SixSides
{
    public const string Patient = "test-six";
    private static readonly Questionnaire Template = TemplateDefinitions.Build(Technique.Neurectomy);

    public static Resource[] Chart()
    {
        var chart = Charts.ClassicLeft(Patient).ToList();
        var condition = (Condition)chart.Single(r => r is Condition).DeepCopy();
        condition.Id = Patient + "-on-right";
        condition.BodySite = [new CodeableConcept(Known.Systems.Snomed, Known.Snomed.Right, "Right")];
        chart.Add(condition);
        chart.RemoveAll(r => r is Procedure);
        foreach (var (nerve, code) in Nerves)
        {
            foreach (var (side, snomed) in new[] { ("left", Known.Snomed.Left), ("right", Known.Snomed.Right) })
            {
                chart.Add(new Procedure
                {
                    Id = $"{Patient}-block-{code}-{side}", Status = EventStatus.Completed, Subject = new ResourceReference("Patient/" + Patient),
                    Code = new CodeableConcept(Known.ProjectCodeSystem, Known.Codes.OccipitalNerveBlock, "Occipital nerve block"),
                    BodySite = [new CodeableConcept(Known.ProjectCodeSystem, code), new CodeableConcept(Known.Systems.Snomed, snomed)],
                    Performed = new FhirDateTime("2024-01-15"), Outcome = new CodeableConcept { Text = "85% relief for 8 hours" },
                });
            }
        }
        return [.. chart];
    }

    private static readonly (Nerve Nerve, string Code)[] Nerves =
        [(Nerve.GreaterOccipital, Known.Codes.GreaterOccipitalNerve), (Nerve.LesserOccipital, Known.Codes.LesserOccipitalNerve), (Nerve.ThirdOccipital, Known.Codes.ThirdOccipitalNerve)];

    /// <summary>A neurectomy of <paramref name="sides"/> nerve-sides (6: every nerve on both sides).</summary>
    public static string Note(string noteId, int sides = 6)
    {
        var launch = new LaunchContext(new Ref("Patient/" + Patient), new Ref($"Encounter/{Patient}-surgery"),
            new Ref("Practitioner/test-surgeon"), DateTimeOffset.UtcNow, noteId);
        var qr = Populator.Populate(Template, launch, CaseEvidenceBuilder.Build(Chart()));
        NoteAnswers.CompleteCommon(qr);
        foreach (var (nerve, side) in Nerves.SelectMany(n => new[] { (n.Nerve, Side.Left), (n.Nerve, Side.Right) }).Take(sides))
            NoteAnswers.Neurectomy(qr, NoteAnswers.For(nerve, side));
        qr.Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed;
        return new FhirJsonSerializer().SerializeToString(qr);
    }
}
