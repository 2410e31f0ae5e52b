using System.Globalization;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Evidence;
using Xunit.Abstractions;

namespace Rhizotomy.Core.Tests.Evidence;

/// <summary>
/// The synthetic corpus (<c>sandbox/Sandbox.Ehr/Seed/Corpus</c>): charts in varied coding styles, each with
/// the evidence a careful reader extracts written down beside it. The builder must find every coded fact,
/// at least 95% of the text-only facts, and nothing else (no invented number).
/// </summary>
public class CorpusTests(ITestOutputHelper output)
{
    private static readonly CaseEvidenceOptions Options = CaseEvidenceOptions.Default with { Today = new DateOnly(2026, 1, 15) };
    private static readonly string[] Categories = ["diagnoses", "blocks", "therapies", "imaging"];

    public static string Folder() => Path.Combine(RepoPaths.Root(), "sandbox", "Sandbox.Ehr", "Seed", "Corpus");

    [Fact]
    public void Every_corpus_patient_gives_the_expected_evidence()
    {
        var files = Directory.EnumerateFiles(Folder(), "*.expected.json").Order(StringComparer.Ordinal).ToList();
        Assert.True(files.Count >= 20, $"the corpus holds {files.Count} patients; at least 20 are needed");

        var tally = Categories.ToDictionary(c => c, _ => new Tally());
        var problems = new List<string>();
        var invented = new List<string>();
        foreach (var expectedFile in files)
        {
            var id = Path.GetFileName(expectedFile)[..^".expected.json".Length];
            var bundle = new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<Bundle>(File.ReadAllText(Path.Combine(Folder(), id + ".json")));
            var evidence = CaseEvidenceBuilder.Build(bundle.Entry.Select(e => e.Resource!), Options);
            using var expected = JsonDocument.Parse(File.ReadAllText(expectedFile));

            foreach (var category in Categories)
            {
                var want = expected.RootElement.GetProperty(category).EnumerateArray().Select(e => (Key: ExpectedKey(category, e), Text: e.GetProperty("text").GetBoolean())).ToList();
                var got = ActualKeys(category, evidence);
                var t = tally[category];
                foreach (var (key, text) in want)
                {
                    var found = got.Contains(key);
                    if (text) { t.TextExpected++; if (found) t.TextFound++; }
                    else { t.CodedExpected++; if (found) t.CodedFound++; }
                    if (!found) problems.Add($"{id} {category}: missed {key}");
                }
                t.Extracted += got.Count;
                var extra = got.Except(want.Select(w => w.Key)).ToList();
                t.Wrong += extra.Count;
                problems.AddRange(extra.Select(x => $"{id} {category}: extracted, not expected {x}"));
            }

            // No invented number: every relief the builder states is the one the chart states.
            foreach (var block in evidence.BlockDetails.Where(b => b.ReliefPercent is not null))
            {
                var stated = expected.RootElement.GetProperty("blocks").EnumerateArray()
                    .Where(e => e.GetProperty("source").GetString() == block.Source.Reference)
                    .Select(e => e.GetProperty("relief").ValueKind == JsonValueKind.Number ? e.GetProperty("relief").GetInt32() : (int?)null);
                if (!stated.Contains(block.ReliefPercent))
                    invented.Add($"{id}: {block.Source.Reference} relief {block.ReliefPercent}%");
            }
        }

        var report = new StringBuilder("category    precision  recall(coded)      recall(text-only)\n");
        foreach (var (category, t) in tally)
            report.AppendLine(CultureInfo.InvariantCulture, $"{category,-11} {Percent(t.Extracted - t.Wrong, t.Extracted),8}  {Percent(t.CodedFound, t.CodedExpected),8} ({t.CodedFound}/{t.CodedExpected})  {Percent(t.TextFound, t.TextExpected),8} ({t.TextFound}/{t.TextExpected})");
        output.WriteLine(report.ToString());
        foreach (var p in problems.Concat(invented))
            output.WriteLine(p);

        Assert.Empty(invented);
        Assert.All(tally.Values, t => Assert.Equal(t.CodedExpected, t.CodedFound));
        var textExpected = tally.Values.Sum(t => t.TextExpected);
        Assert.True(tally.Values.Sum(t => t.TextFound) >= 0.95 * textExpected, "text-only recall below 95%:\n" + string.Join("\n", problems));
        Assert.True(tally.Values.All(t => t.Wrong == 0), "facts extracted that a careful reader would not:\n" + string.Join("\n", problems));
    }

    private static string Percent(int part, int whole) => whole == 0 ? "n/a" : (100.0 * part / whole).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.ToString() : null;

    private static string ExpectedKey(string category, JsonElement e) => category switch
    {
        "diagnoses" => $"{Str(e, "source")}|{Str(e, "code")}|{Str(e, "side")}|prefill={Str(e, "prefillable")?.ToLowerInvariant()}",
        "blocks" => $"{Str(e, "source")}|{Str(e, "side")}|{Str(e, "nerve")}|relief={Str(e, "relief")}",
        "therapies" => $"{Str(e, "source")}|counts={Str(e, "counts")?.ToLowerInvariant()}",
        _ => Str(e, "source")!,
    };

    private static HashSet<string> ActualKeys(string category, CaseEvidence evidence) => category switch
    {
        "diagnoses" => evidence.Diagnoses.Select(d => $"{d.Source.Reference}|{d.Concept.Code}|{Side(d.Side)}|prefill={d.Prefillable.ToString().ToLowerInvariant()}").ToHashSet(),
        "blocks" => evidence.BlockDetails.Select(b => $"{b.Source.Reference}|{Side(b.Side)}|{Nerve(b.Nerve)}|relief={b.ReliefPercent}").ToHashSet(),
        "therapies" => evidence.TherapyDetails.Select(t => $"{t.Therapy.Source!.Reference}|counts={t.Counts.ToString().ToLowerInvariant()}").ToHashSet(),
        _ => evidence.Imaging.Select(i => i.Source!.Reference).ToHashSet(),
    };

    private static string? Side(Side? side) => side?.ToString().ToLowerInvariant();

    private static string? Nerve(Nerve? nerve) => nerve?.Code.Replace("-nerve", "", StringComparison.Ordinal);

    private sealed class Tally
    {
        public int CodedExpected, CodedFound, TextExpected, TextFound, Extracted, Wrong;
    }
}
