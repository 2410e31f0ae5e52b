using System.Globalization;
using System.Text;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.App.Evidence;

/// <summary>
/// The case page's evidence at a glance (issue 17): the summary line, the medical-necessity checklist
/// (printable), what looks wrong in the chart, diagnoses with their statuses, blocks with every fact and
/// its source (text-derived facts marked), therapies that count and those listed apart, and a timeline
/// that stays readable with many events. HTML fragments; every chart value goes through <see cref="E"/>.
/// </summary>
public static class EvidenceSummary
{
    // Until these fragments move into Razor components (the case page is one now): the encoder Razor uses.
    private static string E(string? text) => System.Text.Encodings.Web.HtmlEncoder.Default.Encode(text ?? "");

    /// <summary>The page's own stylesheet and script (print button), served by <see cref="MapEvidenceAssets"/>.</summary>
    public const string Head = "<link rel=\"stylesheet\" href=\"/evidence.css\"><script src=\"/evidence.js\" defer></script>";

    public static WebApplication MapEvidenceAssets(this WebApplication app)
    {
        app.MapGet("/evidence.css", () => Results.Text(Css, "text/css; charset=utf-8"));
        app.MapGet("/evidence.js", () => Results.Text(Script, "text/javascript; charset=utf-8"));
        return app;
    }

    /// <summary>One line per kind of evidence: what a surgeon sees before scrolling.</summary>
    public static string AtAGlance(CaseEvidence ev)
    {
        var html = new StringBuilder("<section class=\"glance\" aria-label=\"At a glance\"><dl>");
        var dx = ev.Diagnoses.Where(d => d.Prefillable).DistinctBy(d => d.Source.Reference).ToList();
        Item(html, "Diagnosis", dx.Count == 0 ? "no confirmed, active diagnosis"
            : string.Join("; ", dx.Select(d => d.Concept.Text + (d.Concept.Code is null ? "" : $" ({d.Concept.Code})"))));
        foreach (var side in ev.Blocks.Select(b => b.Side).Distinct().OrderBy(s => s))
        {
            var best = ev.Blocks.Where(b => b.Side == side).MaxBy(b => b.ReliefPercent ?? -1)!;
            Item(html, $"Blocks, {Words(side)}", $"{ev.Blocks.Count(b => b.Side == side)}; best relief "
                + (best.ReliefPercent is { } r ? r.ToString(CultureInfo.InvariantCulture) + "%" : "not recorded"));
        }
        if (ev.Blocks.Count == 0)
            Item(html, "Blocks", "none recorded");
        Item(html, "Conservative treatment", $"{ev.Therapies.Count} tried, {ev.Therapies.Count(t => t.Failed == true)} stopped or failed"
            + (ev.TherapyDetails.Count(t => !t.Counts) is > 0 and var apart ? $"; {apart} listed apart (not for the headache)" : ""));
        Item(html, "Imaging", ev.Imaging.Count == 0 ? "none recorded" : $"{ev.Imaging.Count} head or neck studies");
        var met = ev.Necessity.Count(c => c.Status == CriterionStatus.Met);
        if (ev.Necessity.Count > 0)
            Item(html, "Medical necessity", $"{met} of {ev.Necessity.Count} criteria met");
        if (ev.Flags.Count > 0)
            Item(html, "Chart problems", $"{ev.Flags.Count} (see below)");
        return html.Append("</dl></section>").ToString();
    }

    /// <summary>The medical-necessity checklist, one row per criterion, with a print button.</summary>
    public static string Necessity(CaseEvidence ev)
    {
        if (ev.Necessity.Count == 0)
            return "";
        var html = new StringBuilder("<section class=\"necessity\" id=\"necessity\"><h2>Medical necessity</h2>");
        html.Append("<p class=\"muted no-print\">Each criterion as the chart shows it, with its sources. <button type=\"button\" id=\"print-necessity\">Print the case summary</button></p>");
        html.Append("<table><thead><tr><th>Criterion</th><th>Status</th><th>What the chart shows</th><th>Sources</th></tr></thead><tbody>");
        foreach (var c in ev.Necessity)
        {
            var (word, css) = c.Status switch
            {
                CriterionStatus.Met => ("Met", "met"),
                CriterionStatus.NotMet => ("Not met", "not-met"),
                _ => ("Not found in the chart", "not-found"),
            };
            html.Append("<tr data-criterion=\"").Append(E(c.Id)).Append("\"><td>").Append(E(c.Text)).Append("</td><td class=\"status ").Append(css).Append("\">")
                .Append(E(word)).Append("</td><td>").Append(E(c.Finding)).Append("</td><td>")
                .Append(E(string.Join(", ", c.Sources.Select(s => s.Reference)))).Append("</td></tr>");
        }
        return html.Append("</tbody></table></section>").ToString();
    }

    /// <summary>What looks wrong in the chart: shown as written, never corrected.</summary>
    public static string Flags(CaseEvidence ev)
    {
        if (ev.Flags.Count == 0)
            return "";
        var html = new StringBuilder("<h2>Chart problems</h2><ul class=\"flags\">");
        foreach (var f in ev.Flags)
            html.Append("<li data-flag=\"").Append(E(f.Code)).Append("\">").Append(E(f.Text)).Append(" <span class=\"muted\">").Append(E(f.Source.Reference)).Append("</span></li>");
        return html.Append("</ul>").ToString();
    }

    public static IEnumerable<string[]> DiagnosisRows(CaseEvidence ev) => ev.Diagnoses.Select(d => new[]
    {
        d.Concept.Text,
        d.CodeAsWritten is { } written ? $"'{written}' as written (not a valid code)" : d.TextOnly ? "text only (no code)" : $"{d.Concept.Code} (ICD-10-CM)",
        d.Side?.ToString() ?? "not stated",
        Status(d),
        d.Onset ?? "",
        d.Prefillable ? "yes" : "no",
        d.Source.Reference,
    });

    public static readonly string[] DiagnosisHeaders = ["Diagnosis", "Code", "Side", "Status", "Onset", "Prefilled", "Source"];

    private static string Status(EvidenceDiagnosis d)
    {
        var parts = new List<string> { d.ClinicalStatus ?? (d.Active ? "active" : "inactive") };
        if (d.VerificationStatus is { } v && v != "confirmed")
            parts.Add(v);
        else if (d.VerificationStatus is null)
            parts.Add("verification not recorded");
        if (d.Abatement is { } a)
            parts.Add("abated " + a);
        return string.Join(", ", parts);
    }

    public static readonly string[] BlockHeaders = ["Date", "Nerve", "Side", "Agent", "Volume", "Guidance", "Relief", "Lasted", "Pain before → after", "Source"];

    /// <summary>Each block with every fact; a fact read from free text carries "(text)".</summary>
    public static IEnumerable<string[]> BlockRows(CaseEvidence ev) => ev.BlockDetails.Select(b =>
    {
        string Fact(string name, string? value) =>
            value is null ? "" : value + (b.Facts.FirstOrDefault(f => f.Name == name)?.FromText == true ? " (text)" : "");
        return new[]
        {
            Fact("date", b.Date), Fact("nerve", b.Nerve is null ? null : Words(b.Nerve)), Fact("side", b.Side is null ? null : Words(b.Side)),
            Fact("agent", b.Agent), Fact("volume", b.Volume), Fact("guidance", b.Guidance),
            Fact("relief", b.ReliefPercent is { } r ? r.ToString(CultureInfo.InvariantCulture) + "%" : null), Fact("relief-duration", b.ReliefDuration),
            b.PainBefore is { } before ? $"{before}/10 → {b.PainAfter}/10" + (b.Facts.FirstOrDefault(f => f.Name == "pain-before")?.FromText == true ? " (text)" : "") : "",
            string.Join(", ", b.Facts.Select(f => f.Source.Reference).Distinct()),
        };
    });

    public static readonly string[] TherapyHeaders = ["Kind", "Treatment", "When", "Stopped or failed", "Why stopped", "Source"];

    public static IEnumerable<string[]> TherapyRows(IEnumerable<EvidenceTherapy> therapies) => therapies.Select(t => new[]
    {
        t.Therapy.Kind + (t.Class is { } c ? $" ({c})" : ""), t.Therapy.Text, t.Therapy.Period ?? "",
        t.Therapy.Failed switch { true => "yes", false => "no", null => "not recorded" }, t.WhyStopped ?? "", t.Therapy.Source?.Reference ?? "",
    });

    /// <summary>
    /// A timeline that stays readable with many events: an SVG strip with one lane per kind (dots only,
    /// year ticks spaced apart), then the events as a dated list; no label is ever drawn over another.
    /// </summary>
    public static string Timeline(CaseEvidence ev)
    {
        var events = new List<(DateOnly When, string Label, string Kind)>();
        void Add(string? date, string label, string kind)
        {
            if (EvidencePage.ParseDate(date) is { } d)
                events.Add((d, label, kind));
        }
        foreach (var d in ev.Diagnoses.DistinctBy(d => d.Source.Reference))
            Add(d.Onset, "Onset: " + d.Concept.Text, "dx");
        foreach (var b in ev.Blocks)
            Add(b.Date, $"Block {b.Side}" + (b.ReliefPercent is { } r ? $" ({r}% relief)" : ""), "block");
        foreach (var t in ev.Therapies)
            Add(t.Period, t.Text, "therapy");
        foreach (var i in ev.Imaging)
            Add(i.Date, i.Text, "imaging");
        if (events.Count == 0)
            return "<p class=\"muted\">No dated events.</p>";

        events.Sort((a, b) => a.When.CompareTo(b.When));
        var lanes = new[] { ("dx", "Diagnoses", "#2f6fde"), ("therapy", "Treatment", "#c98a00"), ("block", "Blocks", "#c0392b"), ("imaging", "Imaging", "#2e8b57") };
        var min = events[0].When.DayNumber;
        var span = Math.Max(1, events[^1].When.DayNumber - min);
        const int width = 900, left = 90, right = 20, laneHeight = 22, top = 10;
        var height = top + laneHeight * lanes.Length + 22;
        int X(DateOnly d) => left + (int)((long)(d.DayNumber - min) * (width - left - right) / span);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg role=\"img\" aria-label=\"Headache history timeline (the events are listed below)\" viewBox=\"0 0 {width} {height}\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\">");
        for (var l = 0; l < lanes.Length; l++)
        {
            var y = top + laneHeight * l + laneHeight / 2;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{y + 4}\">{lanes[l].Item2}</text><line x1=\"{left}\" y1=\"{y}\" x2=\"{width - right}\" y2=\"{y}\" stroke=\"#e2e6ea\"/>");
        }
        // Year ticks at least 60 units apart, so their labels never touch.
        var lastTick = int.MinValue;
        for (var year = events[0].When.Year + 1; year <= events[^1].When.Year; year++)
        {
            var x = X(new DateOnly(year, 1, 1));
            if (x - lastTick < 60)
                continue;
            lastTick = x;
            var axis = top + laneHeight * lanes.Length;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x}\" y1=\"{top}\" x2=\"{x}\" y2=\"{axis}\" stroke=\"#d4d9de\" stroke-dasharray=\"2,3\"/><text x=\"{x}\" y=\"{axis + 14}\" text-anchor=\"middle\">{year}</text>");
        }
        foreach (var (when, label, kind) in events)
        {
            var lane = Array.FindIndex(lanes, l => l.Item1 == kind);
            var y = top + laneHeight * lane + laneHeight / 2;
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(when)}\" cy=\"{y}\" r=\"5\" fill=\"{lanes[lane].Item3}\" fill-opacity=\"0.75\"><title>{E(when.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))} {E(label)}</title></circle>");
        }
        svg.Append("</svg>");

        svg.Append("<ol class=\"events\">");
        foreach (var (when, label, kind) in events)
        {
            var lane = Array.Find(lanes, l => l.Item1 == kind);
            svg.Append("<li data-kind=\"").Append(kind).Append("\"><time datetime=\"").Append(when.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append("\">")
                .Append(when.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append("</time> <span class=\"kind\">").Append(lane.Item2).Append("</span> ")
                .Append(E(label.Length > 120 ? label[..120] + "…" : label)).Append("</li>");
        }
        return svg.Append("</ol>").ToString();
    }

    private static void Item(StringBuilder html, string term, string value) =>
        html.Append("<div><dt>").Append(E(term)).Append("</dt><dd>").Append(E(value)).Append("</dd></div>");

    private static string Words(Side? side) => side?.ToString().ToLowerInvariant() ?? "side not stated";

    private static string Words(Nerve? nerve) => nerve switch
    {
        Nerve.GreaterOccipital => "greater occipital",
        Nerve.LesserOccipital => "lesser occipital",
        Nerve.ThirdOccipital => "third occipital",
        _ => "not stated",
    };

    private const string Css = """
        .glance dl{display:flex;flex-wrap:wrap;gap:8px 24px;margin:8px 0;padding:10px;background:#f7f9fb;border:1px solid #e2e6ea}
        .glance dt{font-weight:600;font-size:.85em;color:#5f6b76}
        .glance dd{margin:0}
        .necessity .status.met{color:#1e6b3a;font-weight:600}
        .necessity .status.not-met{color:#9a3412;font-weight:600}
        .necessity .status.not-found{color:#5f6b76;font-weight:600}
        .flags li{color:#9a3412}
        ol.events{columns:2 28em;font-size:.9em;padding-left:1.2em}
        ol.events li{break-inside:avoid;margin:2px 0}
        ol.events .kind{font-size:.8em;padding:0 4px;border-radius:3px;background:#e8eaed}
        @media print{.no-print,.next,.draft,.relaunch{display:none} body{font-size:11pt} main{max-width:none} a{color:inherit;text-decoration:none}}
        """;

    private const string Script = """
        document.getElementById('print-necessity')?.addEventListener('click', () => window.print());
        """;
}
