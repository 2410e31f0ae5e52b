using System.Text.Json;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;

namespace Rhizotomy.App.Form;

/// <summary>
/// The back of the head (drawn by <c>Components/Form/NerveMapSvg.razor</c>) with each nerve-side group of the template, as inline SVG.
/// A picture, not the control: the tick boxes beside it are the keyboard path; a click on a nerve ticks its
/// box (script). It shows what is selected and warns, in colour and in words, when a selected side has no
/// diagnosis or the nerve no diagnostic block on record. Where a nerve is drawn is data (<c>NerveMap.json</c>,
/// keyed by the nerve's concept code); a nerve without a region is offered by its tick boxes only.
/// </summary>
public static class NerveMap
{
    /// <summary>What the chart says about one nerve and side.</summary>
    public sealed record NerveEvidence(NerveSide Ids, bool DiagnosisOnSide, bool BlockOnRecord)
    {
        public IEnumerable<string> Warnings()
        {
            var side = Ids.Side == Side.Left ? "left" : "right";
            if (!DiagnosisOnSide)
                yield return $"{Ids.Label}: no diagnosis on the {side} side in the chart.";
            if (!BlockOnRecord)
                yield return $"{Ids.Label}: no diagnostic block of this nerve on this side on record.";
        }
    }

    public static IReadOnlyList<NerveEvidence> Evidence(Questionnaire template, CaseEvidence evidence)
    {
        var active = evidence.Diagnoses.Where(d => d.Active).ToList();
        return [.. NerveSides.Of(template).Select(ids => new NerveEvidence(ids,
            active.Any(d => d.Side == ids.Side),
            evidence.Blocks.Any(b => b.Nerve == ids.Nerve && b.Side == ids.Side)))];
    }

    private static readonly Dictionary<string, Dictionary<string, int[]>> Regions = LoadRegions();

    private static Dictionary<string, Dictionary<string, int[]>> LoadRegions()
    {
        using var stream = typeof(NerveMap).Assembly.GetManifestResourceStream("Rhizotomy.App.Form.NerveMap.json")
            ?? throw new InvalidOperationException("The nerve picture's regions (NerveMap.json) are missing from the build.");
        using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        return document.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object).ToDictionary(
            p => p.Name,
            p => p.Value.EnumerateObject().ToDictionary(s => s.Name, s => s.Value.EnumerateArray().Select(v => v.GetInt32()).ToArray()));
    }

    /// <summary>Where a nerve on a side is drawn (x and y at the skull, x and y at the neck); null when the picture has no region for it.</summary>
    public static (int TopX, int TopY, int BottomX, int BottomY)? Path(Nerve nerve, Side side) =>
        Regions.TryGetValue(nerve.Code, out var sides) && sides.TryGetValue(side == Side.Left ? "left" : "right", out var p) && p.Length == 4
            ? (p[0], p[1], p[2], p[3])
            : null;
}
