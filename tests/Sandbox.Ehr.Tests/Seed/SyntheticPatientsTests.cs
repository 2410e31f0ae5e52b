// Firely's model types every element as nullable; here a null fails the assertion that reads it.
#nullable disable warnings

using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;
using Firely.Fhir.Validation;
using Rhizotomy.Core.Clinical;
using Sandbox.Ehr.Fhir;
using Sandbox.Ehr.Seed;
using Sandbox.Ehr.Tests.Auth;
using Microsoft.Extensions.DependencyInjection;
using Task = System.Threading.Tasks.Task;

namespace Sandbox.Ehr.Tests.Seed;

public class SyntheticPatientsTests
{
    private static readonly DateOnly SurgeryDay = new(2026, 11, 27);

    private static readonly Lazy<Validator> BaseR4 = new(() =>
    {
        // Extracted once beside the test assembly (the shared temp folder is not ours to fill).
        var core = new ZipSource(Path.Combine(AppContext.BaseDirectory, "specification.zip"),
            Path.Combine(AppContext.BaseDirectory, "specification-r4"));
        var resolver = new CachedResolver(core);
        return new Validator(resolver, LocalTerminologyService.CreateDefaultForCore(resolver));
    });

    [Fact]
    public void The_seed_is_a_transaction_of_puts_with_unique_stable_ids()
    {
        var bundle = SyntheticPatients.Build(SurgeryDay);

        Assert.Equal(Bundle.BundleType.Transaction, bundle.Type);
        Assert.All(bundle.Entry, entry =>
        {
            Assert.Equal(Bundle.HTTPVerb.PUT, entry.Request.Method);
            Assert.Equal($"{entry.Resource.TypeName}/{entry.Resource.Id}", entry.Request.Url);
        });
        Assert.Equal(bundle.Entry.Count, bundle.Entry.Select(entry => entry.Request.Url).Distinct().Count());

        var serializer = new FhirJsonSerializer();
        Assert.Equal(serializer.SerializeToString(bundle), serializer.SerializeToString(SyntheticPatients.Build(SurgeryDay)));
    }

    [Fact]
    public void Every_seeded_resource_parses_back_and_validates_as_base_R4()
    {
        var serializer = new FhirJsonSerializer();
        var parser = new FhirJsonDeserializer(new DeserializerSettings());
        var bundle = SyntheticPatients.Build(SurgeryDay);

        // The long history's filler entries share one shape: validating a few of them is enough.
        var sample = bundle.Entry.Select(entry => entry.Resource)
            .Where(resource => !resource.Id.StartsWith("long-history-", StringComparison.Ordinal) || resource.Id.EndsWith('1') || resource is not (Condition or Procedure))
            .ToList();
        Assert.True(sample.Count > 60);

        var problems = new List<string>();
        foreach (var resource in sample)
        {
            var parsed = parser.DeserializeResource(serializer.SerializeToString(resource));
            Assert.Equal(resource.Id, parsed.Id);

            var outcome = BaseR4.Value.Validate(parsed);
            problems.AddRange(outcome.Issue
                .Where(issue => issue.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
                .Select(issue => $"{resource.TypeName}/{resource.Id}: {issue.Details?.Text ?? issue.Diagnostics} at {string.Join(",", issue.Expression)}"));
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));

        // The validator does find errors: a Procedure without its required status and subject.
        Assert.Contains(BaseR4.Value.Validate(new Procedure { Id = "broken" }).Issue, issue => issue.Severity == OperationOutcome.IssueSeverity.Error);
    }

    [Fact]
    public void Each_patient_carries_what_it_is_meant_to_exercise()
    {
        var resources = SyntheticPatients.Build(SurgeryDay).Entry.Select(entry => entry.Resource).ToList();
        List<T> Of<T>(string patient) where T : Resource =>
            [.. resources.OfType<T>().Where(resource => resource.Id.StartsWith(patient + "-", StringComparison.Ordinal))];

        Assert.Equal(SyntheticPatients.PatientIds, resources.OfType<Patient>().Select(patient => patient.Id));
        Assert.Equal(SyntheticPatients.PractitionerIds, resources.OfType<Practitioner>().Select(practitioner => practitioner.Id));
        Assert.All(SyntheticPatients.PatientIds, id =>
        {
            var encounter = Assert.Single(Of<Encounter>(id));
            Assert.Equal(id + "-surgery", encounter.Id);
            Assert.Equal("2026-11-27", encounter.Period.Start);
        });

        var classicBlocks = Blocks(Of<Procedure>("classic-left"));
        Assert.Equal(2, classicBlocks.Count);
        Assert.All(classicBlocks, block => Assert.Equal(Known.Snomed.Left, block.BodySite.Single().Coding.Single().Code));
        Assert.Contains(classicBlocks, block => block.Outcome.Text == "80% relief for 3 days");
        Assert.All(classicBlocks, block => Assert.True(string.CompareOrdinal(((FhirDateTime)block.Performed).Value, "2026-11-27") < 0));
        Assert.Equal(2, Of<MedicationStatement>("classic-left").Count);
        Assert.Single(Of<DiagnosticReport>("classic-left"));
        Assert.Equal(4, Of<Observation>("classic-left").Count); // relief per block, pain scores before and after one

        var bilateralSides = Blocks(Of<Procedure>("bilateral")).Select(block => block.BodySite.Single().Coding.Single().Code).ToHashSet();
        Assert.Equal(new HashSet<string> { Known.Snomed.Left, Known.Snomed.Right }, bilateralSides);

        var trap = Assert.Single(Of<Condition>("laterality-trap"));
        Assert.Equal(Known.Snomed.Right, trap.BodySite.Single().Coding.Single().Code);
        Assert.Equal(Known.Snomed.Left, Assert.Single(Blocks(Of<Procedure>("laterality-trap"))).BodySite.Single().Coding.Single().Code);

        Assert.DoesNotContain(Of<Condition>("unrelated"), condition => condition.Code.Coding.Count > 0);
        Assert.Empty(Blocks(Of<Procedure>("unrelated")));

        var longConditions = Of<Condition>("long-history");
        var longProcedures = Of<Procedure>("long-history");
        Assert.True(longConditions.Count >= 150 && longProcedures.Count >= 100);
        Assert.True(longConditions.FindIndex(condition => condition.Code.Coding.Any(coding => coding.Code == Known.Icd10Cm.OccipitalNeuralgia)) > 100);
        Assert.True(longProcedures.FindIndex(procedure => Blocks([procedure]).Count == 1) > 80);

        var odd = Of<Condition>("odd-data");
        Assert.Contains(odd, condition => condition.VerificationStatus?.Coding.Single().Code == "entered-in-error" && condition.ClinicalStatus is null);
        Assert.Contains(odd, condition => condition.VerificationStatus?.Coding.Single().Code == "refuted");
        Assert.Contains(odd, condition => condition.Code.Text.Contains("<script>alert(1)</script>", StringComparison.Ordinal));
        Assert.Contains(odd, condition => condition.Onset is FhirDateTime { Value: "2019" } && condition.RecordedDate == "2021-03");
        Assert.Contains(Of<Procedure>("odd-data"), procedure => procedure.Status == EventStatus.NotDone);
        var oddPatient = resources.OfType<Patient>().Single(patient => patient.Id == "odd-data");
        Assert.Contains(oddPatient.Name, name => name.Text == "王芳");
        Assert.Contains(oddPatient.Name, name => name.Text == "Ελένη Παπαδοπούλου");
        Assert.Contains(oddPatient.Name, name => name.Text == "فاطمة الزهراء");
    }

    [Fact]
    public void Every_corpus_chart_parses_and_validates_as_base_R4()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Plugin.sln")))
            root = root.Parent;
        var folder = Path.Combine(root!.FullName, "sandbox", "Sandbox.Ehr", "Seed", "Corpus");
        var files = Directory.EnumerateFiles(folder, "corpus-*.json").Where(f => !f.EndsWith(".expected.json", StringComparison.Ordinal)).ToList();
        Assert.True(files.Count >= 20);
        var parser = new FhirJsonDeserializer(new DeserializerSettings());
        var problems = new List<string>();
        foreach (var file in files)
        {
            var bundle = parser.Deserialize<Bundle>(File.ReadAllText(file));
            problems.AddRange(BaseR4.Value.Validate(bundle).Issue
                .Where(issue => issue.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
                .Select(issue => $"{Path.GetFileName(file)}: {issue.Details?.Text ?? issue.Diagnostics} at {string.Join(",", issue.Expression)}"));
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Charts_carry_the_codes_production_EHRs_send_and_never_the_app_code_system()
    {
        var serializer = new FhirJsonSerializer();
        var resources = SyntheticPatients.Build(SurgeryDay).Entry.Select(entry => entry.Resource).ToList();

        Assert.All(resources, resource => Assert.DoesNotContain(Known.ProjectCodeSystem, serializer.SerializeToString(resource), StringComparison.Ordinal));
        var classic = resources.Where(resource => resource.Id.StartsWith("classic-left-", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, classic.OfType<Procedure>().Count(p => p.Code.Coding.Any(c => c.System == Known.Systems.Cpt && c.Code == "64405")));
        Assert.Contains(classic.OfType<Procedure>(), p => p.Code.Coding.Any(c => c.System == Known.Systems.Cpt && c.Code == "97110"));
        Assert.Contains(classic.OfType<MedicationStatement>(), m => ((CodeableConcept)m.Medication).Coding.Any(c => c.System == SyntheticPatients.RxNorm && c.Code == "25480"));
        Assert.Contains(classic.OfType<MedicationRequest>(), m => ((CodeableConcept)m.Medication).Text.StartsWith("Lyrica", StringComparison.Ordinal));
        Assert.Contains(classic.OfType<DiagnosticReport>(), r => r.Code.Coding.Any(c => c.System == Known.Systems.Loinc && c.Code == "30657-1"));
        Assert.Equal(2, classic.OfType<Observation>().Count(o => o.Code.Coding.Any(c => c.System == Known.Systems.Loinc && c.Code == "72514-3") && o.PartOf.Count == 1));
    }

    // A block as a production chart has it: CPT 64405, or an occipital nerve block named in words.
    private static List<Procedure> Blocks(IEnumerable<Procedure> procedures) =>
        [.. procedures.Where(procedure => procedure.Status != EventStatus.NotDone
            && (procedure.Code.Coding.Any(coding => coding.System == Known.Systems.Cpt && coding.Code == "64405")
                || (procedure.Code.Text ?? "").Contains("occipital nerve block", StringComparison.Ordinal)))];
}

[Collection(SandboxCollection.Name)]
public class SeedLoadingTests(SandboxFixture fixture)
{
    [Fact]
    public async Task The_seed_loads_into_the_sandbox_store_and_every_resource_reads_back()
    {
        var store = fixture.Server.Services.GetRequiredService<IFhirStore>();

        foreach (var entry in SyntheticPatients.Build().Entry)
        {
            var stored = await store.ReadAsync(entry.Resource.TypeName, entry.Resource.Id);
            Assert.True(stored is not null, $"{entry.Request.Url} was not seeded");
        }

        var conditions = await store.SearchAsync("Condition", "patient=long-history");
        Assert.True(conditions.Count >= 150);
    }
}
