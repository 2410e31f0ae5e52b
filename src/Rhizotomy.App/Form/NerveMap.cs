using System.Globalization;
using System.Text;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;
using static Rhizotomy.App.Ui.Pages;

namespace Rhizotomy.App.Form;

/// <summary>
/// The back of the head with the greater, lesser and third occipital nerves on each side, as inline SVG.
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
    private static (int TopX, int TopY, int BottomX, int BottomY) Path(Nerve nerve, Side side)
    {
        var sign = side == Side.Left ? -1 : 1;
        return nerve switch
        {
            Nerve.GreaterOccipital => (160 + sign * 48, 48, 160 + sign * 24, 228),
            Nerve.LesserOccipital => (160 + sign * 100, 80, 160 + sign * 66, 222),
            _ => (160 + sign * 14, 128, 160 + sign * 8, 236),
        };
    }

    public static string Render(IReadOnlyList<NerveEvidence> evidence, Func<NerveLinkIds, bool> selected)
    {
        var svg = new StringBuilder();
        var chosen = evidence.Where(e => selected(e.Ids)).ToList();
        var label = "Back of the head with the occipital nerves. " + (chosen.Count == 0
            ? "No nerve selected."
            : "Selected: " + string.Join(", ", chosen.Select(c => c.Ids.Label)) + ".");
        svg.Append("<svg class=\"nerve-map\" viewBox=\"0 0 320 270\" role=\"img\" aria-label=\"").Append(E(label)).Append("\" xmlns=\"http://www.w3.org/2000/svg\">");
        svg.Append("<ellipse cx=\"160\" cy=\"120\" rx=\"118\" ry=\"108\" class=\"skull\"/>");
        svg.Append("<path d=\"M105 205 Q110 260 100 270 L220 270 Q210 260 215 205\" class=\"neck\"/>");
        svg.Append("<line x1=\"160\" y1=\"14\" x2=\"160\" y2=\"265\" class=\"midline\"/>");
        svg.Append("<text x=\"30\" y=\"22\" class=\"side\">Left</text><text x=\"290\" y=\"22\" class=\"side\" text-anchor=\"end\">Right</text>");
        foreach (var e in evidence)
        {
            var (tx, ty, bx, by) = Path(e.Ids.Nerve, e.Ids.Side);
            var cx = (tx + bx) / 2 + (e.Ids.Side == Side.Left ? -14 : 14);
            var cy = (ty + by) / 2;
            var warn = !e.DiagnosisOnSide || !e.BlockOnRecord;
            var cls = "nerve" + (selected(e.Ids) ? " selected" : "") + (warn ? " warn" : "");
            svg.Append(CultureInfo.InvariantCulture, $"<path d=\"M{bx} {by} Q{cx} {cy} {tx} {ty}\" class=\"{cls}\" data-nerve=\"{E(e.Ids.Group)}\">")
                .Append("<title>").Append(E(e.Ids.Label)).Append(warn ? " (warning: see below)" : "").Append("</title></path>");
            svg.Append(CultureInfo.InvariantCulture, $"<path d=\"M{bx} {by} Q{cx} {cy} {tx} {ty}\" class=\"hit\" data-nerve=\"{E(e.Ids.Group)}\"/>");
        }
        svg.Append("</svg>");
        return svg.ToString();
    }
}
