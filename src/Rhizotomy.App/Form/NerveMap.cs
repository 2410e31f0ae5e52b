using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;

namespace Rhizotomy.App.Form;

/// <summary>
/// The back of the head (drawn by <c>Components/Form/NerveMapSvg.razor</c>) with the greater, lesser and third occipital nerves on each side, as inline SVG.
/// A picture, not the control: the tick boxes beside it are the keyboard path; a click on a nerve ticks its
/// box (script). It shows what is selected and warns, in colour and in words, when a selected side has no
/// diagnosis or the nerve no diagnostic block on record.
/// </summary>
public static class NerveMap
{
    /// <summary>What the chart says about one nerve and side.</summary>
    public sealed record NerveEvidence(NerveLinkIds Ids, bool DiagnosisOnSide, bool BlockOnRecord)
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

    public static IReadOnlyList<NerveEvidence> Evidence(CaseEvidence evidence)
    {
        var active = evidence.Diagnoses.Where(d => d.Active).ToList();
        return [.. LinkIds.NerveSides.Select(ids => new NerveEvidence(ids,
            active.Any(d => d.Side == ids.Side),
            evidence.Blocks.Any(b => b.Nerve == ids.Nerve && b.Side == ids.Side)))];
    }

    // Posterior view: the patient's left is on the viewer's left. (x at the skull, x at the neck, top y)
    public static (int TopX, int TopY, int BottomX, int BottomY) Path(Nerve nerve, Side side)
    {
        var sign = side == Side.Left ? -1 : 1;
        return nerve switch
        {
            Nerve.GreaterOccipital => (160 + sign * 48, 48, 160 + sign * 24, 228),
            Nerve.LesserOccipital => (160 + sign * 100, 80, 160 + sign * 66, 222),
            _ => (160 + sign * 14, 128, 160 + sign * 8, 236),
        };
    }
}
