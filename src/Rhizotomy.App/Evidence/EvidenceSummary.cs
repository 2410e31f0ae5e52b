using System.Globalization;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.App.Evidence;

/// <summary>
/// The case page's evidence at a glance (issue 17), as data for its components (Components/Case): the summary
/// line, the medical-necessity checklist (printable), what looks wrong in the chart, diagnoses with their statuses,
/// blocks with every fact and its source (text-derived facts marked), therapies that count and those listed apart,
/// and the events of the lane timeline. No markup here: the components render these.
/// </summary>
public static class EvidenceSummary
{
    /// <summary>One line per kind of evidence: what a surgeon sees before scrolling (term, value).</summary>
    public static List<(string Term, string Value)> AtAGlance(CaseEvidence ev)
    {
        var items = new List<(string Term, string Value)>();
        var dx = ev.Diagnoses.Where(d => d.Prefillable).DistinctBy(d => d.Source.Reference).ToList();
        items.Add(("Diagnosis", dx.Count == 0 ? "no confirmed, active diagnosis"
            : string.Join("; ", dx.Select(d => d.Concept.Text + (d.Concept.Code is null ? "" : $" ({d.Concept.Code})")))));
        foreach (var side in ev.Blocks.Select(b => b.Side).Distinct().OrderBy(s => s))
        {
            var best = ev.Blocks.Where(b => b.Side == side).MaxBy(b => b.ReliefPercent ?? -1)!;
            items.Add(($"Blocks, {Words(side)}", $"{ev.Blocks.Count(b => b.Side == side)}; best relief "
                + (best.ReliefPercent is { } r ? r.ToString(CultureInfo.InvariantCulture) + "%" : "not recorded")));
        }
        if (ev.Blocks.Count == 0)
            items.Add(("Blocks", "none recorded"));
        items.Add(("Conservative treatment", $"{ev.Therapies.Count} tried, {ev.Therapies.Count(t => t.Failed == true)} stopped or failed"
            + (ev.TherapyDetails.Count(t => !t.Counts) is > 0 and var apart ? $"; {apart} listed apart (not for the headache)" : "")));
        items.Add(("Imaging", ev.Imaging.Count == 0 ? "none recorded" : $"{ev.Imaging.Count} head or neck studies"));
        var met = ev.Necessity.Count(c => c.Status == CriterionStatus.Met);
        if (ev.Necessity.Count > 0)
            items.Add(("Medical necessity", $"{met} of {ev.Necessity.Count} criteria met"));
        if (ev.Flags.Count > 0)
            items.Add(("Chart problems", $"{ev.Flags.Count} (see below)"));
        return items;
    }

    /// <summary>A criterion's status in words, and the class its cell carries (met, not-met, not-found).</summary>
    public static (string Word, string Class) StatusOf(CriterionStatus status) => status switch
    {
        CriterionStatus.Met => ("Met", "met"),
        CriterionStatus.NotMet => ("Not met", "not-met"),
        _ => ("Not found in the chart", "not-found"),
    };

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

    public static readonly string[] BlockHeaders = ["Date", "Nerve", "Side", "Agent", "Volume", "Guidance", "Relief", "Lasted", "Pain before → after", "As recorded", "Source"];

    /// <summary>Each block with every fact; a fact read from free text carries "(text)".</summary>
    public static IEnumerable<string[]> BlockRows(CaseEvidence ev) => ev.BlockDetails.Select(b =>
    {
        string Fact(string name, string? value) =>
            value is null ? "" : value + (b.Facts.FirstOrDefault(f => f.Name == name)?.FromText == true ? " (text)" : "");
        return new[]
        {
            Fact("date", b.Date), Fact("nerve", b.Nerve is { } n ? EvidenceWords.Nerve(n) : null), Fact("side", b.Side is null ? null : Words(b.Side)),
            Fact("agent", b.Agent), Fact("volume", b.Volume), Fact("guidance", b.Guidance),
            Fact("relief", b.ReliefPercent is { } r ? r.ToString(CultureInfo.InvariantCulture) + "%" : null), Fact("relief-duration", b.ReliefDuration),
            b.PainBefore is { } before ? $"{before}/10 → {b.PainAfter}/10" + (b.Facts.FirstOrDefault(f => f.Name == "pain-before")?.FromText == true ? " (text)" : "") : "",
            b.AsRecorded ?? "",
            string.Join(", ", b.Facts.Select(f => f.Source.Reference).Distinct()),
        };
    });

    /// <summary>Blocks built by hand (or by an older builder) without details: what there is.</summary>
    public static readonly string[] PlainBlockHeaders = ["Date", "Side", "Relief", "As recorded", "Source"];

    public static IEnumerable<string[]> PlainBlockRows(CaseEvidence ev) => ev.Blocks.Select(b => new[]
    {
        b.Date ?? "", b.Side?.ToString() ?? "not stated", b.ReliefPercent is { } r ? r.ToString(CultureInfo.InvariantCulture) + "%" : "",
        b.ReliefText ?? "", b.Source?.Reference ?? "",
    });

    public static readonly string[] TherapyHeaders = ["Kind", "Treatment", "When", "Stopped or failed", "Why stopped", "Source"];

    public static IEnumerable<string[]> TherapyRows(IEnumerable<EvidenceTherapy> therapies) => therapies.Select(t => new[]
    {
        t.Therapy.Kind + (t.Class is { } c ? $" ({c})" : ""), t.Therapy.Text, t.Therapy.Period ?? "",
        t.Therapy.Failed switch { true => "yes", false => "no", null => "not recorded" }, t.WhyStopped ?? "", t.Therapy.Source?.Reference ?? "",
    });

    /// <summary>The therapies that count (all of them when the evidence has no details).</summary>
    public static IEnumerable<string[]> CountedTherapyRows(CaseEvidence ev) => ev.TherapyDetails.Count > 0
        ? TherapyRows(ev.TherapyDetails.Where(t => t.Counts))
        : TherapyRows(ev.Therapies.Select(t => new EvidenceTherapy(t, null, null, true, true, null)));

    /// <summary>The timeline's lanes: kind, name, colour of its dots.</summary>
    public static readonly (string Kind, string Name, string Colour)[] Lanes =
        [("dx", "Diagnoses", "#2f6fde"), ("therapy", "Treatment", "#c98a00"), ("block", "Blocks", "#c0392b"), ("imaging", "Imaging", "#2e8b57")];

    /// <summary>The dated events of the case in date order: what the timeline on the case and note pages shows.</summary>
    public static List<(DateOnly When, string Label, string Kind)> TimelineEvents(CaseEvidence ev) => EvidencePage.TimelineEvents(ev);

    /// <summary>
    /// The timeline's geometry, so it stays readable with many events: the x of a date, and the year ticks at least
    /// 60 units apart (their labels never touch).
    /// </summary>
    public sealed class TimelineLayout
    {
        public const int Width = 900, Left = 90, Right = 20, LaneHeight = 22, Top = 10;
        private readonly int min, span;

        public TimelineLayout(IReadOnlyList<(DateOnly When, string Label, string Kind)> events)
        {
            min = events[0].When.DayNumber;
            span = Math.Max(1, events[^1].When.DayNumber - min);
            var last = int.MinValue;
            for (var year = events[0].When.Year + 1; year <= events[^1].When.Year; year++)
            {
                var x = X(new DateOnly(year, 1, 1));
                if (x - last < 60)
                    continue;
                last = x;
                YearTicks.Add((year, x));
            }
        }

        public int Height => Top + LaneHeight * Lanes.Length + 22;

        public int Axis => Top + LaneHeight * Lanes.Length;

        public List<(int Year, int X)> YearTicks { get; } = [];

        public int X(DateOnly d) => Left + (int)((long)(d.DayNumber - min) * (Width - Left - Right) / span);

        public static int LaneY(int lane) => Top + LaneHeight * lane + LaneHeight / 2;

        public static int LaneOf(string kind) => Array.FindIndex(Lanes, l => l.Kind == kind);
    }

    private static string Words(Side? side) => side?.ToString().ToLowerInvariant() ?? "side not stated";
}
