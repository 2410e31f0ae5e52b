using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Sandbox.Ehr.Seed;

/// <summary>
/// The corpus charts (<c>Seed/Corpus/corpus-NN.json</c>, embedded) as one transaction of PUTs, ids kept, so a
/// surgeon can launch them from the launcher. Their dates are fixed, as written; the expected results beside
/// them are test data and are not served.
/// </summary>
public static class CorpusCharts
{
    private const string Prefix = "Sandbox.Ehr.Seed.Corpus.";

    /// <summary>Every corpus chart, in file order, as a transaction Bundle of PUTs.</summary>
    public static Bundle Build()
    {
        var assembly = typeof(CorpusCharts).Assembly;
        var parser = new FhirJsonDeserializer(new DeserializerSettings());
        var transaction = new Bundle { Type = Bundle.BundleType.Transaction };
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            var chart = parser.Deserialize<Bundle>(reader.ReadToEnd());
            foreach (var resource in chart.Entry.Select(e => e.Resource).OfType<Resource>())
            {
                transaction.Entry.Add(new Bundle.EntryComponent
                {
                    Resource = resource,
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"{resource.TypeName}/{resource.Id}" },
                });
            }
        }
        return transaction;
    }
}
