using System.Globalization;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Evidence;

/// <summary>
/// The medical-necessity checklist: each criterion of a site's or payer's list (data, see
/// <see cref="EvidenceCodeLists.Criteria"/>) marked met, not met, or not found in the chart, with what
/// was found and its sources, so a reviewer can decide without opening the chart.
/// </summary>
public static class NecessitySummary
{
    /// <summary>Judges <paramref name="evidence"/> against <paramref name="criteria"/>; <paramref name="today"/> ends the symptom duration (else the latest date in the evidence).</summary>
    public static IReadOnlyList<NecessityCriterion> Evaluate(CaseEvidence evidence, IEnumerable<CriterionDefinition> criteria, DateOnly? today)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(criteria);
        return criteria.Select(c => c.Kind switch
        {
            "diagnosis" => Diagnosis(c, evidence),
            "symptom-duration" => Duration(c, evidence, today),
            "conservative-therapy" => Conservative(c, evidence),
            "diagnostic-block" => Block(c, evidence),
            "imaging" => ImagingDone(c, evidence),
            _ => new NecessityCriterion(c.Id, c.Text, CriterionStatus.NotFound, $"The checklist's kind '{c.Kind}' is not known to this version.", []),
        }).ToList();
    }

    private static NecessityCriterion Diagnosis(CriterionDefinition c, CaseEvidence e)
    {
        var confirmed = e.Diagnoses.Where(d => d.Prefillable && !d.TextOnly).DistinctBy(d => d.Source.Reference).ToList();
        if (confirmed.Count > 0)
            return new(c.Id, c.Text, CriterionStatus.Met, string.Join("; ", confirmed.Select(DiagnosisWords)), Sources(confirmed.Select(d => d.Source)));
        var others = e.Diagnoses.DistinctBy(d => d.Source.Reference).ToList();
        if (others.Count > 0)
            return new(c.Id, c.Text, CriterionStatus.NotMet,
                "No confirmed, active, coded diagnosis; the chart has: " + string.Join("; ", others.Select(DiagnosisWords)), Sources(others.Select(d => d.Source)));
        return new(c.Id, c.Text, CriterionStatus.NotFound, "No relevant diagnosis in the chart.", []);
    }

    private static string DiagnosisWords(EvidenceDiagnosis d)
    {
        var code = d.Concept.Code ?? (d.CodeAsWritten is null ? "no code" : $"code written '{d.CodeAsWritten}'");
        var status = string.Join(", ", new[] { d.ClinicalStatus, d.VerificationStatus }.Where(s => s is not null));
        return $"{d.Concept.Text} ({code}{(status.Length > 0 ? ", " + status : "")})";
    }

    private static NecessityCriterion Duration(CriterionDefinition c, CaseEvidence e, DateOnly? today)
    {
        var minimum = c.MinimumMonths ?? 0;
        var dated = e.Diagnoses.Where(d => d.Active).Select(d => (d, Onset: ParseDate(d.Onset))).Where(x => x.Onset is not null)
            .OrderBy(x => x.Onset).ToList();
        if (dated.Count == 0)
            return new(c.Id, c.Text, CriterionStatus.NotFound, "No onset date of a current relevant diagnosis in the chart.", []);
        var end = today ?? LatestDate(e);
        if (end is null)
            return new(c.Id, c.Text, CriterionStatus.NotFound, "No date to measure the symptom duration to.", []);
        var (first, onset) = dated[0];
        var months = Months(onset!.Value, end.Value);
        var finding = $"Onset {first.Onset} ({first.Concept.Text}): {months} months.";
        return new(c.Id, c.Text, months >= minimum ? CriterionStatus.Met : CriterionStatus.NotMet, finding, [first.Source]);
    }

    private static NecessityCriterion Conservative(CriterionDefinition c, CaseEvidence e)
    {
        var minimum = c.MinimumCount ?? 1;
        var counted = e.TherapyDetails.Where(t => t.Counts).ToList();
        if (counted.Count == 0 && e.Therapies.Count > 0)
            counted = e.Therapies.Select(t => new EvidenceTherapy(t, null, null, true, true, null)).ToList();
        var failed = counted.Where(t => t.Therapy.Failed == true).ToList();
        if (counted.Count == 0)
            return new(c.Id, c.Text, CriterionStatus.NotFound, "No conservative treatment for the headache in the chart.", []);
        var words = List(counted.Select(t =>
            $"{t.Therapy.Text}, {t.Therapy.Period ?? "dates not recorded"}, {(t.Therapy.Failed == true ? "stopped" : "not recorded as stopped or failed")}"
            + (t.WhyStopped is null ? "" : $": {t.WhyStopped}")));
        return new(c.Id, c.Text, failed.Count >= minimum ? CriterionStatus.Met : CriterionStatus.NotMet,
            $"{failed.Count} tried and stopped (needed {minimum}). {words}", Sources(counted.Select(t => t.Therapy.Source)));
    }

    private static NecessityCriterion Block(CriterionDefinition c, CaseEvidence e)
    {
        var threshold = c.MinimumReliefPercent ?? 50;
        if (e.Blocks.Count == 0)
            return new(c.Id, c.Text, CriterionStatus.NotFound, "No diagnostic occipital nerve block in the chart.", []);
        var sides = e.Diagnoses.Where(d => d.Active && d.Side is not null).Select(d => d.Side!.Value).Distinct().Order().ToList();
        var words = string.Join("; ", e.Blocks.Select(b =>
            $"{b.Date ?? "undated"} {Words(b.Side)} {Words(b.Nerve)} block: {(b.ReliefPercent is { } r ? r + "% relief" : "relief not recorded")}"));
        bool Good(PriorBlock b) => b.ReliefPercent >= threshold;
        var met = sides.Count == 0
            ? e.Blocks.Any(Good)
            : sides.All(s => e.Blocks.Any(b => b.Side == s && Good(b)));
        var missing = sides.Where(s => !e.Blocks.Any(b => b.Side == s && Good(b))).Select(s => s.ToString().ToLowerInvariant()).ToList();
        var finding = met ? words : $"{words}. Not shown: {threshold}% relief or more{(missing.Count > 0 ? " on the " + string.Join(" and ", missing) + " side" : "")}.";
        return new(c.Id, c.Text, met ? CriterionStatus.Met : CriterionStatus.NotMet, finding, Sources(e.Blocks.Select(b => b.Source)));
    }

    private static NecessityCriterion ImagingDone(CriterionDefinition c, CaseEvidence e) =>
        e.Imaging.Count == 0
            ? new(c.Id, c.Text, CriterionStatus.NotFound, "No head or neck imaging in the chart.", [])
            : new(c.Id, c.Text, CriterionStatus.Met, List(e.Imaging.Select(i => $"{i.Date ?? "undated"} {i.Text}")), Sources(e.Imaging.Select(i => i.Source)));

    // Items of a finding, "; " between them: chart text often ends in a full stop, which is dropped so the list never reads ".;".
    private static string List(IEnumerable<string> items) => string.Join("; ", items.Select(i => i.TrimEnd().TrimEnd('.')));

    private static string Words(Side? side) => side?.ToString().ToLowerInvariant() ?? "side not recorded";

    private static string Words(Nerve? nerve) => nerve is { } n ? EvidenceWords.Nerve(n) : "occipital";

    private static List<Ref> Sources(IEnumerable<Ref?> refs) => refs.OfType<Ref>().DistinctBy(r => r.Reference).ToList();

    private static DateOnly? LatestDate(CaseEvidence e) =>
        e.Blocks.Select(b => b.Date).Concat(e.Imaging.Select(i => i.Date)).Select(ParseDate).Where(d => d is not null).Max();

    // A FHIR date, dateTime or partial date (year, year-month); partial dates take their first day.
    internal static DateOnly? ParseDate(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length < 4)
            return null;
        var v = value.Length >= 10 ? value[..10] : value.Length == 7 ? value + "-01" : value.Length == 4 ? value + "-01-01" : null;
        return v is not null && DateOnly.TryParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
    }

    private static int Months(DateOnly from, DateOnly to)
    {
        var months = (to.Year - from.Year) * 12 + to.Month - from.Month;
        return to.Day < from.Day ? months - 1 : months;
    }
}
