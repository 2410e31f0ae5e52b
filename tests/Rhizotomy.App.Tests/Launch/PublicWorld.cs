using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.App.Tests.Launch;

/// <summary>One sandbox + app (public client) shared by the launch-flow tests, with the test charts seeded.</summary>
public sealed class PublicWorld : IAsyncLifetime
{
    public SmartWorld World { get; private set; } = null!;

    /// <summary>Where the app's Serilog output also goes, to check what it logs.</summary>
    public string LogFile { get; private set; } = "";

    public const int LongHistoryConditions = 230;
    public const int LongHistoryProcedures = 120;

    public async System.Threading.Tasks.Task InitializeAsync()
    {
        var options = new SmartWorld.Options();
        options.Sandbox["Sandbox:StandalonePatient"] = "test-classic-left";
        options.Sandbox["Sandbox:StandalonePractitioner"] = "test-surgeon";
        // Small pages, so the long history takes several of them.
        options.App["App:PageSize"] = "50";
        LogFile = Path.Combine(Path.GetTempPath(), "rhizotomy-app-log-" + Guid.NewGuid().ToString("N") + ".txt");
        options.App["Serilog:WriteTo:0:Name"] = "File";
        options.App["Serilog:WriteTo:0:Args:path"] = LogFile;
        World = await SmartWorld.StartAsync(options);
        await World.SeedAsync(Charts.ClassicLeft());
        await World.SeedAsync(Charts.ClassicLeft("test-second"));
        await World.SeedAsync(OddData());
        await World.SeedAsync(LongHistory());
    }

    public async System.Threading.Tasks.Task DisposeAsync()
    {
        await World.DisposeAsync();
        File.Delete(LogFile);
    }

    public const string Hostile = "<script>alert('chart')</script><img src=x onerror=alert(1)> occipital neuralgia";

    private static Resource[] OddData() =>
    [
        new Patient { Id = "test-odd", Name = [new HumanName { Text = "<b>Odd</b> & \"Data\"" }] },
        new Condition { Id = "test-odd-1", Subject = new ResourceReference("Patient/test-odd"), Code = new CodeableConcept { Text = Hostile }, Onset = new FhirDateTime("2021") },
        new Condition { Id = "test-odd-2", Subject = new ResourceReference("Patient/test-odd"), Code = new CodeableConcept("http://unknown.example/cs", "???") },
        new Procedure { Id = "test-odd-3", Status = EventStatus.Completed, Subject = new ResourceReference("Patient/test-odd"), Code = new CodeableConcept { Text = "GON block \u202Eevil" }, Performed = new FhirDateTime("2024-02") },
    ];

    private static IEnumerable<Resource> LongHistoryResources()
    {
        yield return new Patient { Id = "test-long", Name = [new HumanName { Family = "Long", Given = ["History"] }] };
        for (var i = 0; i < LongHistoryConditions; i++)
        {
            yield return new Condition
            {
                Id = $"test-long-c{i}", Subject = new ResourceReference("Patient/test-long"),
                Code = i % 10 == 0
                    ? new CodeableConcept(Known.Systems.Icd10Cm, "M54.81", "Occipital neuralgia")
                    : new CodeableConcept(Known.Systems.Icd10Cm, "I10", "Essential hypertension"),
                Onset = new FhirDateTime(2000 + i % 24, 1 + i % 12, 1),
            };
        }
        for (var i = 0; i < LongHistoryProcedures; i++)
        {
            yield return new Procedure
            {
                Id = $"test-long-p{i}", Status = EventStatus.Completed, Subject = new ResourceReference("Patient/test-long"),
                Code = i % 20 == 0
                    ? new CodeableConcept(Known.ProjectCodeSystem, Known.Codes.OccipitalNerveBlock, "Occipital nerve block")
                    : new CodeableConcept { Text = "Dental cleaning" },
                Performed = new FhirDateTime(2000 + i % 24, 1 + i % 12, 2),
            };
        }
    }

    private static Resource[] LongHistory() => LongHistoryResources().ToArray();
}

[CollectionDefinition(Name)]
public sealed class PublicWorldCollection : ICollectionFixture<PublicWorld>
{
    public const string Name = "public world";
}
