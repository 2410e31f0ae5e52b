using System.Globalization;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Evidence;

/// <summary>
/// Site-supplied additions to what the builder recognises. The product ships no CPT descriptors
/// and no local codes: a site that codes its blocks with, say, CPT 64405 lists that here.
/// </summary>
/// <param name="BlockCodes">Extra (system, code) pairs that mean "occipital nerve block".</param>
public sealed record CaseEvidenceOptions(IReadOnlyCollection<(string System, string Code)> BlockCodes)
{
    /// <summary>Only the project's own codes and text matching.</summary>
    public static CaseEvidenceOptions Default { get; } = new([]);
}

/// <summary>
/// Turns a patient's chart (plain Firely resources) into the <see cref="CaseEvidence"/> a reviewer
/// reads first: relevant diagnoses with side, prior occipital nerve blocks with relief,
/// conservative therapies tried, imaging, and the gaps. Pure code: no I/O, no clock.
/// </summary>
/// <remarks>
/// A bilateral diagnosis or block (SNOMED 51440002, or "bilateral" in text) gives one item per
/// side with the same source, because every consumer (prefill, laterality check) reasons per side.
/// Text that only looks like a relevant diagnosis is kept as text, never given a code.
/// </remarks>
public static partial class CaseEvidenceBuilder
{
    // Free text kept per item: enough for a reviewer, bounded so a hostile chart cannot bloat a page.
    private const int MaxText = 500;
    private const string Icd10CmOid = "urn:oid:2.16.840.1.113883.6.90";

    /// <summary>Builds the evidence from every resource of the patient the app read.</summary>
    public static CaseEvidence Build(IEnumerable<Resource> chart, CaseEvidenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(chart);
        options ??= CaseEvidenceOptions.Default;
        var resources = chart.Where(r => r is not null).ToList();

        var diagnoses = resources.OfType<Condition>().SelectMany(Diagnoses)
            .OrderBy(d => d.Onset ?? "9999", StringComparer.Ordinal).ToList();

        var procedures = resources.OfType<Procedure>().Where(Counts).ToList();
        var blocks = procedures.Where(p => IsBlock(p, options)).SelectMany(Blocks)
            .OrderBy(b => b.Date ?? "9999", StringComparer.Ordinal).ToList();

        var therapies = procedures.Where(p => !IsBlock(p, options)).Select(PhysicalTherapy).OfType<TherapyTried>()
            .Concat(resources.OfType<MedicationRequest>().Select(Medication).OfType<TherapyTried>())
            .Concat(resources.OfType<MedicationStatement>().Select(Medication).OfType<TherapyTried>())
            .OrderBy(t => t.Period ?? "9999", StringComparer.Ordinal).ToList();

        var imaging = resources.OfType<DiagnosticReport>().Select(ImagingFrom).OfType<Imaging>()
            .Concat(resources.OfType<ImagingStudy>().Select(ImagingFrom).OfType<Imaging>())
            .Concat(procedures.Where(p => !IsBlock(p, options)).Select(ImagingFrom).OfType<Imaging>())
            .OrderBy(i => i.Date ?? "9999", StringComparer.Ordinal).ToList();

        var gaps = new List<EvidenceGap>();
        if (diagnoses.Count == 0)
            gaps.Add(new("no-relevant-diagnosis", "No diagnosis of occipital neuralgia or chronic headache is recorded in the chart."));
        else if (diagnoses.All(d => d.TextOnly))
            gaps.Add(new("no-relevant-diagnosis", "The chart names the diagnosis in text only: no ICD-10-CM code for it is recorded."));
        if (blocks.Count == 0)
            gaps.Add(new("no-diagnostic-block", "No diagnostic occipital nerve block is documented (date, side and relief)."));
        else
        {
            // A block on the other side does not evidence this side (the laterality trap).
            var blockedSides = blocks.Where(b => b.Side is not null).Select(b => b.Side!.Value).ToHashSet();
            if (blockedSides.Count > 0)
            {
                foreach (var side in diagnoses.Where(d => d.Active && d.Side is not null).Select(d => d.Side!.Value).Distinct().Order())
                {
                    if (!blockedSides.Contains(side))
                    {
                        var other = string.Join(" and ", blockedSides.Order().Select(s => s.ToString().ToLowerInvariant()));
                        gaps.Add(new("no-diagnostic-block",
                            $"No diagnostic block is documented on the {side.ToString().ToLowerInvariant()} side, where the diagnosis is; the blocks on record are on the {other} side."));
                    }
                }
            }
        }
        if (imaging.Count == 0)
            gaps.Add(new("no-imaging", "No head or neck imaging (MRI or CT) is documented."));
        if (!therapies.Any(t => t.Failed == true))
            gaps.Add(new("no-failed-conservative-treatment", "No failed conservative treatment (medication or physical therapy) is documented."));

        return new CaseEvidence(diagnoses, blocks, therapies, imaging, gaps);
    }

    private static IEnumerable<EvidenceDiagnosis> Diagnoses(Condition condition)
    {
        if (HasCode(condition.VerificationStatus, "entered-in-error", "refuted"))
            yield break;

        var concept = RelevantConcept(condition.Code);
        if (concept is null)
            yield break;

        var active = !HasCode(condition.ClinicalStatus, "inactive", "remission", "resolved");
        var onset = (condition.Onset is FhirString text ? Clip(text.Value) : DateOf(condition.Onset)) ?? condition.RecordedDate;

        var source = Reference(condition);
        foreach (var side in EachSide(condition.BodySite, condition.Code?.Text))
            yield return new EvidenceDiagnosis(source, concept.Value.Concept, concept.Value.TextOnly, side, active, onset);
    }

    private static (Concept Concept, bool TextOnly)? RelevantConcept(CodeableConcept? code)
    {
        if (code is null)
            return null;
        foreach (var coding in code.Coding)
        {
            if (coding.System is not (Known.Systems.Icd10Cm or Icd10CmOid) || coding.Code is null)
                continue;
            var normalised = NormaliseIcd(coding.Code);
            if (Known.Icd10Cm.Relevant.TryGetValue(normalised, out var display))
                return (new Concept(Known.Systems.Icd10Cm, normalised, Clip(code.Text) ?? Clip(coding.Display) ?? display), false);
        }

        // Text only: what the chart says, shown as such. A code in an unknown system is not trusted.
        var text = code.Text ?? code.Coding.Select(c => c.Display).FirstOrDefault(d => !string.IsNullOrWhiteSpace(d));
        if (text is not null && RelevantDiagnosisText().IsMatch(text))
            return (new Concept(null, null, Clip(text)!), true);
        return null;
    }

    private static string NormaliseIcd(string code)
    {
        var c = code.Trim().ToUpperInvariant();
        return c.Length > 3 && c[3] != '.' ? c[..3] + "." + c[3..] : c;
    }

    private static bool Counts(Procedure p) =>
        p.Status is not (EventStatus.NotDone or EventStatus.EnteredInError);

    private static bool IsBlock(Procedure p, CaseEvidenceOptions options)
    {
        if (p.Code is null)
            return false;
        if (p.Code.Coding.Any(c => c.System == Known.ProjectCodeSystem && c.Code == Known.Codes.OccipitalNerveBlock))
            return true;
        if (p.Code.Coding.Any(c => options.BlockCodes.Contains((c.System ?? "", c.Code ?? ""))))
            return true;
        return TextsOf(p.Code).Any(t => BlockText().IsMatch(t));
    }

    private static IEnumerable<PriorBlock> Blocks(Procedure p)
    {
        var texts = TextsOf(p.Code).Concat(p.BodySite.SelectMany(TextsOf)).ToList();
        var nerve = NerveOf(p.BodySite) ?? texts.Select(NerveFromText).FirstOrDefault(n => n is not null);
        var outcome = Clip(p.Outcome?.Text ?? p.Outcome?.Coding.Select(c => c.Display).FirstOrDefault(d => d is not null));
        var notes = Clip(JoinTexts(p.Note.Select(n => n.Text)));
        var reliefText = outcome ?? (string.IsNullOrEmpty(notes) ? null : notes);
        var relief = Percent(outcome) ?? Percent(notes);
        var source = Reference(p);
        var date = DateOf(p.Performed);
        foreach (var side in EachSide(p.BodySite, p.Code?.Text))
            yield return new PriorBlock(date, nerve, side, relief, reliefText, source);
    }

    private static TherapyTried? PhysicalTherapy(Procedure p)
    {
        var text = TextsOf(p.Code).FirstOrDefault(t => PhysicalTherapyText().IsMatch(t));
        if (text is null)
            return null;
        var said = JoinTexts(new[] { p.Outcome?.Text, p.StatusReason?.Text }.Concat(p.Note.Select(n => n.Text)));
        bool? failed = FailureText().IsMatch(said) || p.Status == EventStatus.Stopped ? true : null;
        var period = p.Performed is Period per ? PeriodText(per) : DateOf(p.Performed);
        return new TherapyTried("physical-therapy", Clip(text)!, period, failed, Reference(p));
    }

    private static TherapyTried? Medication(MedicationRequest m) =>
        m.Status == MedicationRequest.MedicationrequestStatus.EnteredInError
            ? null
            : MedicationTried(m, m.Medication, m.ReasonCode, m.ReasonReference,
                stopped: m.Status == MedicationRequest.MedicationrequestStatus.Stopped,
                said: new[] { m.StatusReason?.Text }.Concat(m.Note.Select(n => n.Text)),
                period: m.DispenseRequest?.ValidityPeriod is { } vp ? PeriodText(vp) : m.AuthoredOn);

    private static TherapyTried? Medication(MedicationStatement m) =>
        m.Status is MedicationStatement.MedicationStatusCodes.EnteredInError or MedicationStatement.MedicationStatusCodes.NotTaken
            ? null
            : MedicationTried(m, m.Medication, m.ReasonCode, m.ReasonReference,
                stopped: m.Status == MedicationStatement.MedicationStatusCodes.Stopped,
                said: m.StatusReason.Select(s => s.Text).Concat(m.Note.Select(n => n.Text)),
                period: m.Effective switch
                {
                    Period p => PeriodText(p),
                    FhirDateTime dt => dt.Value,
                    _ => null,
                });

    // What a MedicationRequest and a MedicationStatement both say about a drug tried.
    private static TherapyTried? MedicationTried(Resource source, DataType? medication, IEnumerable<CodeableConcept> reasonCodes,
        IEnumerable<ResourceReference> reasonReferences, bool stopped, IEnumerable<string?> said, string? period)
    {
        var name = MedicationName(medication);
        if (name is null)
            return null;
        var reasons = reasonCodes.SelectMany(TextsOf).Concat(reasonReferences.Select(r => r.Display ?? ""));
        if (!IsHeadacheTherapy(name, reasons))
            return null;
        bool? failed = stopped || FailureText().IsMatch(JoinTexts(said)) ? true : null;
        return new TherapyTried("medication", name, period, failed, Reference(source));
    }

    private static string? MedicationName(DataType? medication) => medication switch
    {
        CodeableConcept cc => Clip(TextsOf(cc).FirstOrDefault()),
        ResourceReference r => Clip(r.Display),
        _ => null,
    };

    // A medication counts as conservative treatment of the headache when the chart says so (its
    // reason) or when it is one of the drugs commonly tried for occipital neuralgia/chronic headache.
    private static bool IsHeadacheTherapy(string name, IEnumerable<string> reasons) =>
        HeadacheDrug().IsMatch(name) || reasons.Any(r => RelevantDiagnosisText().IsMatch(r) || HeadacheWord().IsMatch(r));

    private static Imaging? ImagingFrom(DiagnosticReport r)
    {
        if (r.Status is DiagnosticReport.DiagnosticReportStatus.EnteredInError or DiagnosticReport.DiagnosticReportStatus.Cancelled)
            return null;
        var text = TextsOf(r.Code).FirstOrDefault();
        if (text is null || !IsHeadNeckImaging(text))
            return null;
        var conclusion = Clip(r.Conclusion);
        var shown = conclusion is null ? text : $"{text}: {conclusion}";
        var date = DateOf(r.Effective) ?? r.Issued?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return new Imaging(Clip(shown)!, date, Reference(r));
    }

    private static Imaging? ImagingFrom(ImagingStudy s)
    {
        if (s.Status is ImagingStudy.ImagingStudyStatus.EnteredInError or ImagingStudy.ImagingStudyStatus.Cancelled)
            return null;
        var modality = s.Modality.Select(m => m.Code).Where(c => c is "MR" or "CT").FirstOrDefault();
        var text = s.Description ?? s.Series.Select(x => x.Description).FirstOrDefault(d => d is not null);
        if (modality is null && (text is null || !IsHeadNeckImaging(text)))
            return null;
        if (text is not null && OtherRegion().IsMatch(text))
            return null;
        return new Imaging(Clip(text ?? modality)!, s.Started, Reference(s));
    }

    private static Imaging? ImagingFrom(Procedure p)
    {
        var text = TextsOf(p.Code).FirstOrDefault(IsHeadNeckImaging);
        return text is null ? null : new Imaging(Clip(text)!, DateOf(p.Performed), Reference(p));
    }

    private static bool IsHeadNeckImaging(string text) =>
        ImagingText().IsMatch(text) && !OtherRegion().IsMatch(text);

    private static List<Side> SidesOf(IEnumerable<CodeableConcept> bodySites, string? fallbackText)
    {
        var codes = bodySites.SelectMany(b => b.Coding).Where(c => c.System == Known.Systems.Snomed).Select(c => c.Code).ToHashSet();
        if (codes.Contains(Known.Snomed.LeftAndRight) || (codes.Contains(Known.Snomed.Left) && codes.Contains(Known.Snomed.Right)))
            return [Side.Left, Side.Right];
        if (codes.Contains(Known.Snomed.Left))
            return [Side.Left];
        if (codes.Contains(Known.Snomed.Right))
            return [Side.Right];

        foreach (var text in bodySites.SelectMany(TextsOf).Append(fallbackText ?? ""))
        {
            if (BilateralText().IsMatch(text))
                return [Side.Left, Side.Right];
            var left = LeftText().IsMatch(text);
            var right = RightText().IsMatch(text);
            if (left && right)
                return [Side.Left, Side.Right];
            if (left)
                return [Side.Left];
            if (right)
                return [Side.Right];
        }
        return [];
    }

    // One value per side, or a single null when the chart names none: every item is per side.
    private static IEnumerable<Side?> EachSide(IEnumerable<CodeableConcept> bodySites, string? fallbackText)
    {
        var sides = SidesOf(bodySites, fallbackText);
        return sides.Count == 0 ? [null] : sides.Select(s => (Side?)s);
    }

    private static Nerve? NerveOf(IEnumerable<CodeableConcept> bodySites)
    {
        foreach (var coding in bodySites.SelectMany(b => b.Coding).Where(c => c.System == Known.ProjectCodeSystem))
        {
            switch (coding.Code)
            {
                case Known.Codes.GreaterOccipitalNerve: return Nerve.GreaterOccipital;
                case Known.Codes.LesserOccipitalNerve: return Nerve.LesserOccipital;
                case Known.Codes.ThirdOccipitalNerve: return Nerve.ThirdOccipital;
            }
        }
        return null;
    }

    private static Nerve? NerveFromText(string text)
    {
        if (GreaterText().IsMatch(text)) return Nerve.GreaterOccipital;
        if (LesserText().IsMatch(text)) return Nerve.LesserOccipital;
        if (ThirdText().IsMatch(text)) return Nerve.ThirdOccipital;
        return null;
    }

    private static int? Percent(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return null;
        var match = PercentText().Match(text);
        if (!match.Success || !int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            return null;
        return value is >= 0 and <= 100 ? value : null;
    }

    // The date of a dateTime, or the start of a Period; other choice types carry no date.
    private static string? DateOf(DataType? value) => value switch
    {
        FhirDateTime dt => dt.Value,
        Period p => p.Start,
        _ => null,
    };

    private static string JoinTexts(IEnumerable<string?> texts) =>
        string.Join(" ", texts.Where(t => !string.IsNullOrWhiteSpace(t)));

    private static string? PeriodText(Period p) => (p.Start, p.End) switch
    {
        (null, null) => null,
        (var s, null) => $"{s} to ongoing",
        (null, var e) => $"until {e}",
        var (s, e) => $"{s} to {e}",
    };

    private static IEnumerable<string> TextsOf(CodeableConcept? cc)
    {
        if (cc is null)
            yield break;
        if (!string.IsNullOrWhiteSpace(cc.Text))
            yield return cc.Text;
        foreach (var c in cc.Coding)
            if (!string.IsNullOrWhiteSpace(c.Display))
                yield return c.Display;
    }

    private static bool HasCode(CodeableConcept? cc, params string[] codes) =>
        cc is not null && cc.Coding.Any(c => c.Code is not null && codes.Contains(c.Code));

    private static Ref Reference(Resource r)
    {
        var display = r switch
        {
            Condition c => TextsOf(c.Code).FirstOrDefault(),
            Procedure p => TextsOf(p.Code).FirstOrDefault(),
            DiagnosticReport d => TextsOf(d.Code).FirstOrDefault(),
            ImagingStudy s => s.Description,
            _ => null,
        };
        return new Ref($"{r.TypeName}/{r.Id}", Clip(display));
    }

    private static string? Clip(string? text)
    {
        if (text is null)
            return null;
        var t = text.Trim();
        return t.Length <= MaxText ? t : t[..MaxText] + "…";
    }

    [GeneratedRegex(@"occipital\s+neuralgia|occipital\s+(nerve\s+)?(headache|pain)|cervicogenic\s+headache|chronic\s+migraine|arnold'?s?\s+neuralgia", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RelevantDiagnosisText();

    [GeneratedRegex(@"\b(headache|migraine|neuralgia|occipital)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HeadacheWord();

    [GeneratedRegex(@"occipital\s+(nerve\s+)?block|\b[GLT]ON\s+block", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BlockText();

    [GeneratedRegex(@"(?i:physical\s+therapy|physiotherapy)|\bPT\b", RegexOptions.CultureInvariant)]
    private static partial Regex PhysicalTherapyText();

    [GeneratedRegex(@"\b(fail(ed|ure)?|no\s+(relief|improvement|benefit)|not\s+effective|ineffective|without\s+(relief|benefit)|did\s+not\s+help|intolerable|side\s+effects?|discontinued)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex FailureText();

    [GeneratedRegex(@"\b(gabapentin|pregabalin|amitriptyline|nortriptyline|topiramate|carbamazepine|oxcarbazepine|baclofen|tizanidine|cyclobenzaprine|duloxetine|venlafaxine|propranolol|sumatriptan|rizatriptan|onabotulinumtoxin\w*|botox|naproxen|ibuprofen|diclofenac|indomethacin|celecoxib|erenumab|fremanezumab|galcanezumab)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HeadacheDrug();

    [GeneratedRegex(@"\b(MRI|MR|CT|CTA|MRA|magnetic\s+resonance|computed\s+tomography|CAT\s+scan)\b", RegexOptions.CultureInvariant)]
    private static partial Regex ImagingText();

    [GeneratedRegex(@"\b(abdom\w*|pelvi\w*|chest|thora\w*|lumbar|knee|hip|shoulder|ankle|wrist|elbow|renal|kidney|cardiac|heart)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OtherRegion();

    [GeneratedRegex(@"\b(bilateral(ly)?|both\s+sides)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BilateralText();

    [GeneratedRegex(@"\bleft\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LeftText();

    [GeneratedRegex(@"\bright\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RightText();

    [GeneratedRegex(@"greater\s+occipital|\bGON\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex GreaterText();

    [GeneratedRegex(@"lesser\s+occipital|\bLON\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LesserText();

    [GeneratedRegex(@"third\s+occipital|\bTON\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ThirdText();

    [GeneratedRegex(@"(\d{1,3})\s*%")]
    private static partial Regex PercentText();
}
