using BenchmarkDotNet.Attributes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Evidence;
using Rhizotomy.Tests.Shared;
using Sandbox.Ehr.Seed;

namespace Rhizotomy.Bench.Evidence;

/// <summary>
/// Building the case evidence for a 500-resource chart (target: under 5 ms): the sandbox's long-history
/// patient (a decades-long problem list and procedure history), the classic-left chart, then the
/// synthetic corpus charts until 500 resources. The code lists are loaded in the setup, as the app
/// loads them once. Run: dotnet run -c Release --project bench/Rhizotomy.Bench -- --filter *EvidenceBenchmarks* --job short
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class EvidenceBenchmarks
{
    public const int ChartSize = 500;
    private List<Resource> _chart = null!;

    [GlobalSetup]
    public void Setup()
    {
        _chart = Chart();
        CaseEvidenceBuilder.Build(_chart);
    }

    [Benchmark]
    public CaseEvidence Build() => CaseEvidenceBuilder.Build(_chart);

    public static List<Resource> Chart()
    {
        var seeded = SyntheticPatients.Build(new DateOnly(2026, 11, 27)).Entry.Select(e => e.Resource!)
            .Where(r => r.Id is { } id && (id.StartsWith("long-history", StringComparison.Ordinal) || id.StartsWith("classic-left", StringComparison.Ordinal)));
        var parser = new FhirJsonDeserializer(new DeserializerSettings());
        var corpus = Directory.EnumerateFiles(CorpusFolder(), "corpus-*.json").Where(f => !f.EndsWith(".expected.json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .SelectMany(f => parser.Deserialize<Bundle>(File.ReadAllText(f)).Entry.Select(e => e.Resource!));
        var chart = seeded.Concat(corpus).Take(ChartSize).ToList();
        if (chart.Count < ChartSize)
            chart.AddRange(Enumerable.Range(0, ChartSize - chart.Count).Select(i => new Condition { Id = $"filler-{i}", Code = new CodeableConcept { Text = $"Filler problem {i}" } }));
        return chart;
    }

    private static string CorpusFolder() => Path.Combine(RepositoryRoot.Find(), "sandbox", "Sandbox.Ehr", "Seed", "Corpus");
}
