using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Rhizotomy.Tests.Shared;

/// <summary>
/// Synthetic charts the suites share, kept as named FHIR JSON files (<c>tests/Shared/Fixtures/NAME.json</c>, each a
/// collection Bundle; see the README there) and read with Firely's parser, instead of being built in C# in each suite.
/// </summary>
public static class FhirFixtures
{
    private static readonly FhirJsonDeserializer Parser = new(new DeserializerSettings());

    /// <summary>
    /// The resources of fixture <paramref name="name"/>, new objects on every call (a test may change them).
    /// <paramref name="renamed"/>: the fixture's id stem (its patient's id, which starts every id and reference of the
    /// chart) replaced by another, for a second patient with the same chart.
    /// </summary>
    public static Resource[] Chart(string name, (string Stem, string As)? renamed = null)
    {
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name + ".json"));
        if (renamed is { } r && r.Stem != r.As)
            json = json.Replace("\"" + r.Stem, "\"" + r.As, StringComparison.Ordinal).Replace("/" + r.Stem, "/" + r.As, StringComparison.Ordinal);
        return [.. Parser.Deserialize<Bundle>(json).Entry.Select(e => e.Resource!)];
    }
}
