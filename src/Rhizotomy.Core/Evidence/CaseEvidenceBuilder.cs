using System.Globalization;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Evidence;

/// <summary>
/// What the builder recognises and the day it judges dates by. The code lists are data
/// (<see cref="EvidenceCodeLists"/>); <see cref="BlockCodes"/> stays for callers that add codes in code.
/// </summary>
/// <param name="BlockCodes">Extra (system, code) pairs that mean "occipital nerve block".</param>
public sealed record CaseEvidenceOptions(IReadOnlyCollection<(string System, string Code)> BlockCodes)
{
    /// <summary>The shipped code lists, no extra codes, no date check against today.</summary>
    public static CaseEvidenceOptions Default { get; } = new([]);

    /// <summary>The code lists; null means <see cref="EvidenceCodeLists.Default"/>.</summary>
    public EvidenceCodeLists? Lists { get; init; }

    /// <summary>Today (the caller's clock): dates after it are flagged, symptom duration runs to it. Null: no future check.</summary>
    public DateOnly? Today { get; init; }
}

/// <summary>
/// Turns a patient's chart (plain Firely resources) into the <see cref="CaseEvidence"/> a reviewer
/// reads first: relevant diagnoses with side and status, prior occipital nerve blocks with every fact a
/// surgeon records, conservative therapies (those that count for the indication and those listed apart),
/// imaging, what looks wrong, the gaps and the medical-necessity checklist. Pure code: no I/O, no clock.
/// </summary>
/// <remarks>
/// Codes come first (the ValueSets of <see cref="EvidenceCodeLists"/>), then text. A bilateral diagnosis
/// or block gives one item per side with the same source, because every consumer reasons per side.
/// Text that only looks like a relevant diagnosis is kept as text, never given a code.
/// </remarks>
public static partial class CaseEvidenceBuilder
{
    // Free text kept per item: enough for a reviewer, bounded so a hostile chart cannot bloat a page.
    private const int MaxText = 500;
    private const string Icd10CmOid = "urn:oid:2.16.840.1.113883.6.90";

    /// <summary>Builds the evidence from every resource of the patient the app read (the Patient too, for the birth date).</summary>
    public static CaseEvidence Build(IEnumerable<Resource> chart, CaseEvidenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var run = new Run(chart.Where(r => r is not null).ToList(), options ?? CaseEvidenceOptions.Default);
        return run.Build();
    }

    private sealed class Run
    {
        private readonly List<Resource> _resources;
        private readonly CaseEvidenceOptions _options;
        private readonly EvidenceCodeLists _lists;
        private readonly CodeSet _blockCodes, _ptCodes, _imagingCodes, _headacheDrugs, _analgesics, _painScores, _diagnosisCodes;
        private readonly Dictionary<string, Condition> _conditions = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<Observation>> _observationsByTarget = new(StringComparer.Ordinal);
        private readonly List<EvidenceFlag> _flags = [];
        private readonly HashSet<(string, string)> _flagged = [];
        private readonly string? _birthDate;
        private readonly string? _today;

        public Run(List<Resource> resources, CaseEvidenceOptions options)
        {
            _resources = resources;
            _options = options;
            _lists = options.Lists ?? EvidenceCodeLists.Default;
            _blockCodes = _lists.Set(EvidenceValueSets.OccipitalNerveBlock);
            _ptCodes = _lists.Set(EvidenceValueSets.PhysicalTherapy);
            _imagingCodes = _lists.Set(EvidenceValueSets.HeadNeckImaging);
            _headacheDrugs = _lists.Set(EvidenceValueSets.HeadacheMedication);
            _analgesics = _lists.Set(EvidenceValueSets.AnalgesicMedication);
            _painScores = _lists.Set(EvidenceValueSets.PainScore);
            _diagnosisCodes = _lists.Set(EvidenceValueSets.IndicationDiagnosis);
            _today = options.Today?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            _birthDate = resources.OfType<Patient>().Select(p => p.BirthDate).FirstOrDefault(b => b is not null);
            var observations = new Dictionary<string, Observation>(StringComparer.Ordinal);
            foreach (var r in resources)
            {
                if (r is Condition c && c.Id is not null)
                    _conditions["Condition/" + c.Id] = c;
                else if (r is Observation o && o.Status is not (ObservationStatus.EnteredInError or ObservationStatus.Cancelled))
                    observations["Observation/" + o.Id] = o;
            }
            // An Observation belongs to a block through partOf or focus, or through derivedFrom an Observation that does
            // (a relief figure derived from the pain scores taken around the block).
            IEnumerable<string> Targets(Observation o, int depth) =>
                o.PartOf.Concat(o.Focus).Concat(o.DerivedFrom).Select(x => x.Reference).OfType<string>()
                    .SelectMany(t => depth < 2 && observations.TryGetValue(t, out var from) ? Targets(from, depth + 1) : [t]);
            foreach (var o in observations.Values)
            {
                foreach (var target in Targets(o, 0).Distinct())
                {
                    if (!_observationsByTarget.TryGetValue(target, out var list))
                        _observationsByTarget[target] = list = [];
                    list.Add(o);
                }
            }
        }

        public CaseEvidence Build()
        {
            var diagnoses = _resources.OfType<Condition>().SelectMany(Diagnoses)
                .OrderBy(d => d.Onset ?? "9999", StringComparer.Ordinal).ToList();

            // A procedure in preparation (scheduled) has not happened yet: it is no evidence of anything tried.
            var procedures = _resources.OfType<Procedure>().Where(p => p.Status is not (EventStatus.NotDone or EventStatus.EnteredInError or EventStatus.Preparation)).ToList();
            var blockProcedures = procedures.Where(IsBlock).ToList();
            var blockDetails = blockProcedures.SelectMany(Blocks).OrderBy(b => b.Date ?? "9999", StringComparer.Ordinal).ToList();
            var blocks = blockDetails.Select(b => new PriorBlock(b.Date, b.Nerve, b.Side, b.ReliefPercent, b.AsRecorded ?? ReliefTextOf(b), b.Source)).ToList();

            var others = procedures.Except(blockProcedures, ReferenceEqualityComparer.Instance).Cast<Procedure>().ToList();
            var therapyDetails = others.Select(TherapyProcedure).OfType<EvidenceTherapy>()
                .Concat(_resources.OfType<MedicationRequest>().Select(Medication).OfType<EvidenceTherapy>())
                .Concat(_resources.OfType<MedicationStatement>().Select(Medication).OfType<EvidenceTherapy>())
                .OrderBy(t => t.Therapy.Period ?? "9999", StringComparer.Ordinal).ToList();
            var therapies = therapyDetails.Where(t => t.Counts).Select(t => t.Therapy).ToList();

            var imaging = _resources.OfType<DiagnosticReport>().Select(ImagingFrom).OfType<Imaging>()
                .Concat(_resources.OfType<ImagingStudy>().Select(ImagingFrom).OfType<Imaging>())
                .Concat(others.Select(ImagingFrom).OfType<Imaging>())
                .OrderBy(i => i.Date ?? "9999", StringComparer.Ordinal).ToList();

            var evidence = new CaseEvidence(diagnoses, blocks, therapies, imaging, Gaps(diagnoses, blocks, therapies, imaging))
            {
                BlockDetails = blockDetails,
                TherapyDetails = therapyDetails,
                Flags = _flags,
            };
            return evidence with { Necessity = NecessitySummary.Evaluate(evidence, _lists.Criteria, _options.Today) };
        }

        private static List<EvidenceGap> Gaps(List<EvidenceDiagnosis> diagnoses, List<PriorBlock> blocks, List<TherapyTried> therapies, List<Imaging> imaging)
        {
            var gaps = new List<EvidenceGap>();
            var current = diagnoses.Where(d => d.Active).ToList();
            if (current.Count == 0)
                gaps.Add(new("no-relevant-diagnosis", "No current diagnosis of occipital neuralgia or chronic headache is recorded in the chart."));
            else if (current.All(d => d.TextOnly))
                gaps.Add(new("no-relevant-diagnosis", "The chart names the diagnosis in text only: no valid ICD-10-CM code for it is recorded."));
            if (blocks.Count == 0)
                gaps.Add(new("no-diagnostic-block", "No diagnostic occipital nerve block is documented (date, side and relief)."));
            else
            {
                // A block on the other side does not evidence this side (the laterality trap).
                var blockedSides = blocks.Where(b => b.Side is not null).Select(b => b.Side!.Value).ToHashSet();
                if (blockedSides.Count > 0)
                {
                    foreach (var side in current.Where(d => d.Side is not null).Select(d => d.Side!.Value).Distinct().Order())
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
            return gaps;
        }

        // ---- diagnoses -------------------------------------------------------------------------

        private IEnumerable<EvidenceDiagnosis> Diagnoses(Condition condition)
        {
            var relevant = RelevantConcept(condition);
            if (relevant is null)
                yield break;
            var (concept, textOnly, asWritten) = relevant.Value;
            var source = Reference(condition);
            var verification = FirstCode(condition.VerificationStatus);
            var clinical = FirstCode(condition.ClinicalStatus);
            var active = clinical is not ("inactive" or "remission" or "resolved") && verification is not ("refuted" or "entered-in-error");
            var prefillable = clinical is "active" or "recurrence" or "relapse" && verification == "confirmed" && asWritten is null;
            var onset = (condition.Onset is FhirString text ? Clip(text.Value) : DateOf(condition.Onset)) ?? condition.RecordedDate;
            var abatement = condition.Abatement switch
            {
                FhirString s => Clip(s.Value),
                FhirBoolean b => b.Value == true ? "yes (no date)" : null,
                var other => DateOf(other),
            };
            if (asWritten is not null)
                Flag("malformed-code", $"The diagnosis code '{Clip(asWritten)}' is not a valid ICD-10-CM code as written; shown as written, not used as a code.", source);
            CheckDate(DateOf(condition.Onset), source, "onset");
            CheckDate(condition.RecordedDate, source, "recorded date");

            foreach (var side in EachSide(condition.BodySite, condition.Code?.Text, out _))
            {
                yield return new EvidenceDiagnosis(source, concept, textOnly, side, active, onset)
                {
                    VerificationStatus = verification,
                    ClinicalStatus = clinical,
                    Abatement = abatement,
                    CodeAsWritten = asWritten,
                    Prefillable = prefillable,
                };
            }
        }

        private (Concept Concept, bool TextOnly, string? AsWritten)? RelevantConcept(Condition condition)
        {
            var code = condition.Code;
            if (code is null)
                return null;
            string? malformed = null;
            foreach (var coding in code.Coding)
            {
                if (coding.System is not (Known.Systems.Icd10Cm or Icd10CmOid) || string.IsNullOrWhiteSpace(coding.Code))
                    continue;
                if (WellFormedIcd10Cm().IsMatch(coding.Code))
                {
                    if (_diagnosisCodes.Contains(Known.Systems.Icd10Cm, coding.Code))
                    {
                        var display = Known.Icd10Cm.Relevant.GetValueOrDefault(coding.Code);
                        return (new Concept(Known.Systems.Icd10Cm, coding.Code, Clip(code.Text) ?? Clip(coding.Display) ?? display ?? coding.Code), false, null);
                    }
                }
                else if (_diagnosisCodes.Contains(Known.Systems.Icd10Cm, NormaliseIcd(coding.Code)))
                {
                    malformed ??= coding.Code;
                }
            }

            // Text only: what the chart says, shown as such. A code in an unknown system, or written wrongly, is not trusted.
            var text = code.Text ?? code.Coding.Select(c => c.Display).FirstOrDefault(d => !string.IsNullOrWhiteSpace(d));
            if (malformed is not null)
                return (new Concept(null, null, Clip(text) ?? Clip(malformed)!), true, malformed);
            if (text is not null && _lists.DiagnosisText.IsMatch(text))
                return (new Concept(null, null, Clip(text)!), true, null);
            return null;
        }

        private static string NormaliseIcd(string code)
        {
            var c = code.Trim().ToUpperInvariant();
            return c.Length > 3 && c[3] != '.' ? c[..3] + "." + c[3..] : c;
        }

        // Linked to a headache or neck diagnosis: a reason that is (or references) one.
        private bool LinkedToIndication(IEnumerable<CodeableConcept> reasonCodes, IEnumerable<ResourceReference> reasonReferences)
        {
            foreach (var reason in reasonCodes)
            {
                if (reason.Coding.Any(c => c.System is Known.Systems.Icd10Cm or Icd10CmOid && c.Code is not null && _diagnosisCodes.Contains(Known.Systems.Icd10Cm, NormaliseIcd(c.Code))))
                    return true;
                if (TextsOf(reason).Any(t => _lists.DiagnosisText.IsMatch(t) || _lists.HeadacheOrNeckReasonText.IsMatch(t)))
                    return true;
            }
            foreach (var reference in reasonReferences)
            {
                if (reference.Reference is { } r && _conditions.TryGetValue(r, out var condition))
                {
                    if (RelevantConcept(condition) is not null || TextsOf(condition.Code).Any(t => _lists.HeadacheOrNeckReasonText.IsMatch(t)))
                        return true;
                }
                else if (reference.Display is { } d && (_lists.DiagnosisText.IsMatch(d) || _lists.HeadacheOrNeckReasonText.IsMatch(d)))
                    return true;
            }
            return false;
        }

        // ---- blocks ----------------------------------------------------------------------------

        private bool IsBlock(Procedure p)
        {
            if (p.Code is null)
                return false;
            if (_blockCodes.Contains(p.Code) || p.Code.Coding.Any(c => _options.BlockCodes.Contains((c.System ?? "", c.Code ?? ""))))
                return true;
            return TextsOf(p.Code).Any(t => _lists.BlockText.IsMatch(t));
        }

        private IEnumerable<EvidenceBlock> Blocks(Procedure p)
        {
            var source = Reference(p);
            var facts = new List<BlockFact>();
            var codeTexts = TextsOf(p.Code).Concat(p.BodySite.SelectMany(TextsOf)).ToList();
            var narrative = JoinTexts(codeTexts.Append(p.Outcome?.Text).Concat(p.Note.Select(n => n.Text))
                .Concat(p.UsedCode.SelectMany(TextsOf)).Concat(p.UsedReference.Select(u => u.Display)).Append(p.Category?.Text));

            var date = DateOf(p.Performed);
            if (date is not null)
                facts.Add(new("date", date, source, false));
            CheckDate(date, source, "date performed");

            var nerve = NerveOf(p);
            if (nerve.Nerve is { } n)
                facts.Add(new("nerve", EvidenceWords.Nerve(n), source, nerve.FromText));

            var agent = AgentOf(p, narrative, source, facts);
            var volume = Group(_lists.VolumeText.Match(narrative), "volume");
            if (volume is not null)
                facts.Add(new("volume", volume, source, true));
            var guidance = _lists.GuidanceText.FirstOrDefault(g => g.Pattern.IsMatch(narrative)).Guidance;
            if (guidance is not null)
                facts.Add(new("guidance", guidance, source, true));

            var (relief, duration, before, after) = ReliefOf(p, source, facts);
            var sides = BlockSides(p, source, out var sideFromText);
            foreach (var side in sides.Where(s => s is not null))
                facts.Add(new("side", side!.Value.ToString().ToLowerInvariant(), source, sideFromText));

            var asRecorded = Clip(p.Outcome?.Text ?? p.Outcome?.Coding.Select(c => c.Display).FirstOrDefault(d => d is not null))
                ?? Clip(NullIfEmpty(JoinTexts(p.Note.Select(n => n.Text))));
            foreach (var side in sides)
                yield return new EvidenceBlock(date, nerve.Nerve, side, agent, volume, guidance, relief, duration, before, after, source, facts) { AsRecorded = asRecorded };
        }

        // The side from bodySite, else the procedure's name, else its notes ("GON blk L", "s/p R LON inj"). When the
        // notes name only the other side than the one recorded, the side is not known: left blank and flagged.
        private List<Side?> BlockSides(Procedure p, Ref source, out bool fromText)
        {
            var sides = SidesOf(p.BodySite, p.Code?.Text, out fromText);
            var noted = SidesInText(p.Note.Select(n => n.Text).Append(p.Outcome?.Text));
            if (sides.Count == 0)
                (sides, fromText) = (noted, true);
            else if (noted.Count > 0 && !noted.Intersect(sides).Any())
            {
                Flag("side-conflict", $"The block is recorded on the {SideWords(sides)} side but its note says {SideWords(noted)}; the side is left blank.", source);
                sides = [];
            }
            return sides.Count == 0 ? [null] : sides.Select(s => (Side?)s).ToList();
        }

        private static string SideWords(List<Side> sides) => string.Join(" and ", sides.Select(s => s.ToString().ToLowerInvariant()));

        private (Nerve? Nerve, bool FromText) NerveOf(Procedure p)
        {
            foreach (var coding in p.BodySite.SelectMany(b => b.Coding).Where(c => c.System == Known.ProjectCodeSystem))
            {
                if (Known.Concepts.FirstOrDefault(k => k.Group == "nerve" && k.Code == coding.Code) is { } known)
                    return (new Nerve(known.Code), false);
            }
            foreach (var coding in p.Code?.Coding ?? [])
            {
                if (coding.System is not null && coding.Code is not null && _lists.CodeNerve.TryGetValue((coding.System, coding.Code), out var coded))
                    return (coded, false);
            }
            foreach (var text in TextsOf(p.Code).Concat(p.BodySite.SelectMany(TextsOf)))
            {
                foreach (var (pattern, named) in _lists.NerveText)
                {
                    if (pattern.IsMatch(text))
                        return (named, true);
                }
            }
            return (null, false);
        }

        private string? AgentOf(Procedure p, string narrative, Ref source, List<BlockFact> facts)
        {
            var used = p.UsedCode.SelectMany(TextsOf).Concat(p.UsedReference.Select(u => u.Display ?? "")).Where(t => !string.IsNullOrWhiteSpace(t)).ToList();
            if (used.Count > 0)
            {
                var agent = Clip(string.Join(", ", used.Distinct()))!;
                facts.Add(new("agent", agent, source, false));
                return agent;
            }
            var found = _lists.AgentText.Matches(narrative).Select(m => m.Value.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            if (found.Count == 0)
                return null;
            var text = Clip(string.Join(", ", found))!;
            facts.Add(new("agent", text, source, true));
            return text;
        }

        // Relief from coded data first: a relief Observation (percent), then pain scores before and after,
        // then relief wording in the procedure's outcome and notes. Never from a concentration or a dose.
        private (int? Relief, string? Duration, decimal? Before, decimal? After) ReliefOf(Procedure p, Ref source, List<BlockFact> facts)
        {
            int? relief = null;
            string? duration = null;
            decimal? before = null, after = null;
            var linked = p.Id is null ? [] : _observationsByTarget.GetValueOrDefault("Procedure/" + p.Id) ?? [];
            foreach (var o in linked)
            {
                var oRef = Reference(o);
                var code = TextsOf(o.Code).ToList();
                if (relief is null && code.Any(t => _lists.ReliefObservationText.IsMatch(t)) && o.Value is Quantity q && q.Value is { } v
                    && (q.Code == "%" || q.Unit == "%") && v is >= 0 and <= 100)
                {
                    relief = (int)Math.Round(v);
                    facts.Add(new("relief", $"{relief}%", oRef, false));
                    duration ??= DurationFrom(JoinTexts(o.Note.Select(n => n.Text).Append((o.Value as FhirString)?.Value)), oRef, facts);
                }
            }
            var scores = linked.Where(o => _painScores.Contains(o.Code) || TextsOf(o.Code).Any(t => _lists.PainScoreText.IsMatch(t)))
                .Select(o => (Observation: o, Value: ScoreOf(o), When: DateOf(o.Effective)))
                .Where(s => s.Value is not null).OrderBy(s => s.When ?? "", StringComparer.Ordinal).ToList();
            if (scores.Count >= 2)
            {
                before = scores[0].Value;
                after = scores[^1].Value;
                facts.Add(new("pain-before", $"{before}/10", Reference(scores[0].Observation), false));
                facts.Add(new("pain-after", $"{after}/10", Reference(scores[^1].Observation), false));
                if (relief is null && before > 0)
                {
                    relief = (int)Math.Round((before.Value - after!.Value) / before.Value * 100m);
                    relief = Math.Clamp(relief.Value, 0, 100);
                    facts.Add(new("relief", $"{relief}% (from pain {before}/10 before and {after}/10 after)", source, false));
                }
            }

            var said = JoinTexts(new[] { p.Outcome?.Text }.Concat(p.Outcome?.Coding.Select(c => c.Display) ?? []).Concat(p.Note.Select(n => n.Text)));
            if (relief is null)
            {
                foreach (var pattern in _lists.ReliefText)
                {
                    if (Group(pattern.Match(said), "percent") is { } digits
                        && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 100)
                    {
                        relief = value;
                        facts.Add(new("relief", $"{value}%", source, true));
                        break;
                    }
                }
            }
            if (relief is null && before is null)
            {
                foreach (var pattern in _lists.PainBeforeAfterText)
                {
                    var m = pattern.Match(said);
                    if (m.Success && decimal.TryParse(m.Groups["before"].Value, CultureInfo.InvariantCulture, out var b)
                        && decimal.TryParse(m.Groups["after"].Value, CultureInfo.InvariantCulture, out var a) && b is > 0 and <= 10 && a is >= 0 and <= 10)
                    {
                        (before, after) = (b, a);
                        relief = Math.Clamp((int)Math.Round((b - a) / b * 100m), 0, 100);
                        facts.Add(new("pain-before", $"{b}/10", source, true));
                        facts.Add(new("pain-after", $"{a}/10", source, true));
                        facts.Add(new("relief", $"{relief}% (from pain {b}/10 before and {a}/10 after)", source, true));
                        break;
                    }
                }
            }
            duration ??= DurationFrom(said, source, facts);
            return (relief, duration, before, after);
        }

        private string? DurationFrom(string text, Ref source, List<BlockFact> facts)
        {
            var duration = Group(_lists.DurationText.Match(text), "duration");
            if (duration is not null)
                facts.Add(new("relief-duration", duration, source, true));
            return duration;
        }

        private static decimal? ScoreOf(Observation o) => o.Value switch
        {
            Quantity { Value: { } v } when v is >= 0 and <= 10 => v,
            Integer { Value: { } i } when i is >= 0 and <= 10 => i,
            _ => null,
        };

        private static string? ReliefTextOf(EvidenceBlock b)
        {
            var relief = b.Facts.FirstOrDefault(f => f.Name == "relief");
            if (relief is null)
                return null;
            return b.ReliefDuration is null ? $"{relief.Value} relief" : $"{relief.Value} relief for {b.ReliefDuration}";
        }

        // ---- therapies -------------------------------------------------------------------------

        // A procedure that is a conservative therapy: physical therapy, or another injection for the pain (trigger points).
        private EvidenceTherapy? TherapyProcedure(Procedure p)
        {
            var kind = "physical-therapy";
            var coded = _ptCodes.Contains(p.Code);
            var text = TextsOf(p.Code).FirstOrDefault(t => _lists.PhysicalTherapyText.IsMatch(t));
            if (!coded && text is null)
            {
                kind = "other";
                text = TextsOf(p.Code).FirstOrDefault(t => _lists.OtherInjectionText.IsMatch(t));
                if (text is null)
                    return null;
            }
            var name = Clip(text ?? TextsOf(p.Code).FirstOrDefault() ?? p.Code!.Coding.Select(c => c.Code).FirstOrDefault() ?? "Physical therapy")!;
            var said = JoinTexts(new[] { p.Outcome?.Text, p.StatusReason?.Text }.Concat(p.Note.Select(n => n.Text)));
            bool? failed = _lists.FailureText.IsMatch(said) || p.Status == EventStatus.Stopped ? true : null;
            var period = p.Performed is Period per ? PeriodText(per) : DateOf(p.Performed);
            var source = Reference(p);
            CheckDate(p.Performed is Period pp ? pp.Start : DateOf(p.Performed), source, "date performed");
            var linked = LinkedToIndication(p.ReasonCode, p.ReasonReference)
                || TextsOf(p.Code).Concat(p.BodySite.SelectMany(TextsOf)).Any(t => _lists.NeckOrHeadText.IsMatch(t));
            return new EvidenceTherapy(new TherapyTried(kind, name, period, failed, source), null, null, linked, linked, Clip(NullIfEmpty(said)));
        }

        // A draft or cancelled order, a proposal or a plan: the drug was never given, so never tried.
        private EvidenceTherapy? Medication(MedicationRequest m) =>
            m.Status is MedicationRequest.MedicationrequestStatus.EnteredInError or MedicationRequest.MedicationrequestStatus.Draft
                    or MedicationRequest.MedicationrequestStatus.Cancelled
                || m.Intent is MedicationRequest.MedicationRequestIntent.Proposal or MedicationRequest.MedicationRequestIntent.Plan
                    or MedicationRequest.MedicationRequestIntent.Option
                ? null
                : MedicationTried(m, m.Medication, m.ReasonCode, m.ReasonReference,
                    stopped: m.Status == MedicationRequest.MedicationrequestStatus.Stopped,
                    said: new[] { m.StatusReason?.Text }.Concat(m.Note.Select(n => n.Text)),
                    period: m.DispenseRequest?.ValidityPeriod is { } vp ? PeriodText(vp) : m.AuthoredOn,
                    start: m.DispenseRequest?.ValidityPeriod?.Start ?? m.AuthoredOn);

        private EvidenceTherapy? Medication(MedicationStatement m) =>
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
                    },
                    start: DateOf(m.Effective));

        // What a MedicationRequest and a MedicationStatement both say about a drug tried.
        private EvidenceTherapy? MedicationTried(Resource source, DataType? medication, IEnumerable<CodeableConcept> reasonCodes,
            IEnumerable<ResourceReference> reasonReferences, bool stopped, IEnumerable<string?> said, string? period, string? start)
        {
            var name = MedicationName(medication);
            if (name is null)
                return null;
            var codes = medication is CodeableConcept cc ? cc : null;
            var term = IngredientOf(name, codes);
            var reasons = reasonCodes.ToList();
            var references = reasonReferences.ToList();
            var linked = LinkedToIndication(reasons, references);
            var headacheClass = term?.Class is not null || _headacheDrugs.Contains(codes);
            if (term is null && !headacheClass && !linked && !_analgesics.Contains(codes))
                return null; // an unrelated drug (lisinopril): not a therapy for this indication at all
            // Gabapentin given for carpal tunnel was not tried for this indication: a coded or charted other reason beats the class.
            var otherReason = !linked && (reasons.Any(r => r.Coding.Count > 0) || references.Any(r => r.Reference is { } x && _conditions.ContainsKey(x)));
            var reference = Reference(source);
            CheckDate(start, reference, "start date");
            var whatWasSaid = JoinTexts(said);
            bool? failed = stopped || _lists.FailureText.IsMatch(whatWasSaid) ? true : null;
            var shown = term is not null && !name.Contains(term.Ingredient, StringComparison.OrdinalIgnoreCase) ? $"{name} ({term.Ingredient})" : name;
            return new EvidenceTherapy(new TherapyTried("medication", Clip(shown)!, period, failed, reference),
                term?.Ingredient, term?.Class, linked, linked || (headacheClass && !otherReason), Clip(NullIfEmpty(whatWasSaid)));
        }

        private MedicationTerm? IngredientOf(string name, CodeableConcept? codes)
        {
            var match = _lists.MedicationName.Match(name);
            if (match.Success)
                return _lists.Medication(match.Groups["name"].Value);
            foreach (var display in codes?.Coding.Select(c => c.Display).Where(d => d is not null) ?? [])
            {
                var m = _lists.MedicationName.Match(display!);
                if (m.Success)
                    return _lists.Medication(m.Groups["name"].Value);
            }
            return null;
        }

        private static string? MedicationName(DataType? medication) => medication switch
        {
            CodeableConcept cc => Clip(TextsOf(cc).FirstOrDefault()),
            ResourceReference r => Clip(r.Display),
            _ => null,
        };

        // ---- imaging ---------------------------------------------------------------------------

        private Imaging? ImagingFrom(DiagnosticReport r)
        {
            if (r.Status is DiagnosticReport.DiagnosticReportStatus.EnteredInError or DiagnosticReport.DiagnosticReportStatus.Cancelled)
                return null;
            var coded = _imagingCodes.Contains(r.Code);
            var text = TextsOf(r.Code).FirstOrDefault(IsHeadNeckImaging);
            if (!coded && text is null)
                return null;
            text ??= TextsOf(r.Code).FirstOrDefault() ?? r.Code!.Coding.First(c => _imagingCodes.Contains(c)).Code;
            var conclusion = Clip(r.Conclusion);
            var shown = conclusion is null ? text : $"{text}: {conclusion}";
            var date = DateOf(r.Effective) ?? r.Issued?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var source = Reference(r);
            CheckDate(date, source, "study date");
            return new Imaging(Clip(shown)!, date, source);
        }

        private Imaging? ImagingFrom(ImagingStudy s)
        {
            if (s.Status is ImagingStudy.ImagingStudyStatus.EnteredInError or ImagingStudy.ImagingStudyStatus.Cancelled)
                return null;
            var coded = s.ProcedureCode.Any(_imagingCodes.Contains);
            var modality = s.Modality.Select(m => m.Code).FirstOrDefault(c => c is "MR" or "CT");
            var texts = new[] { s.Description }.Concat(s.Series.Select(x => x.Description)).Concat(s.Series.Select(x => x.BodySite?.Display))
                .Concat(s.ProcedureCode.SelectMany(TextsOf)).Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t!).ToList();
            var region = texts.Any(t => _lists.HeadNeckRegionText.IsMatch(t)) && !texts.Any(t => _lists.OtherRegionText.IsMatch(t));
            if (!coded && !(region && (modality is not null || texts.Any(t => _lists.ImagingModalityText.IsMatch(t)))))
                return null;
            var source = Reference(s);
            CheckDate(s.Started, source, "study date");
            return new Imaging(Clip(texts.FirstOrDefault() ?? modality ?? "Imaging study")!, s.Started, source);
        }

        private Imaging? ImagingFrom(Procedure p)
        {
            var text = _imagingCodes.Contains(p.Code) ? TextsOf(p.Code).FirstOrDefault() ?? "Imaging" : TextsOf(p.Code).FirstOrDefault(IsHeadNeckImaging);
            return text is null ? null : new Imaging(Clip(text)!, DateOf(p.Performed), Reference(p));
        }

        // A head or neck study by text: a modality and a head or neck region, and no other region.
        private bool IsHeadNeckImaging(string text) =>
            _lists.ImagingModalityText.IsMatch(text) && _lists.HeadNeckRegionText.IsMatch(text) && !_lists.OtherRegionText.IsMatch(text);

        // ---- sides, dates, flags -----------------------------------------------------------------

        private static List<Side> SidesOf(IEnumerable<CodeableConcept> bodySites, string? fallbackText, out bool fromText)
        {
            fromText = false;
            var codes = bodySites.SelectMany(b => b.Coding).Where(c => c.System == Known.Systems.Snomed).Select(c => c.Code).ToHashSet();
            var left = codes.Contains(Known.Snomed.Left) || codes.Contains(Known.Snomed.UnilateralLeft);
            var right = codes.Contains(Known.Snomed.Right) || codes.Contains(Known.Snomed.UnilateralRight);
            if (codes.Contains(Known.Snomed.LeftAndRight) || (left && right))
                return [Side.Left, Side.Right];
            if (left)
                return [Side.Left];
            if (right)
                return [Side.Right];

            fromText = true;
            return SidesInText(bodySites.SelectMany(TextsOf).Append(fallbackText));
        }

        // The side the first text that names one names ("Right", "L GON block", "bilat").
        private static List<Side> SidesInText(IEnumerable<string?> texts)
        {
            foreach (var text in texts.OfType<string>())
            {
                if (Bilateral().IsMatch(text))
                    return [Side.Left, Side.Right];
                var left = LeftWord().IsMatch(text);
                var right = RightWord().IsMatch(text);
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
        private static IEnumerable<Side?> EachSide(IEnumerable<CodeableConcept> bodySites, string? fallbackText, out bool fromText)
        {
            var sides = SidesOf(bodySites, fallbackText, out fromText);
            return sides.Count == 0 ? [null] : sides.Select(s => (Side?)s);
        }

        // A date after today or before the patient's birth is shown and flagged, never dropped.
        private void CheckDate(string? date, Ref source, string what)
        {
            if (date is null || date.Length < 4)
                return;
            var day = date.Length >= 10 ? date[..10] : date;
            if (_today is { } today && string.CompareOrdinal(day, today[..day.Length]) > 0)
                Flag("future-date", $"The {what} {date} is in the future.", source);
            if (_birthDate is { Length: >= 4 } birth)
            {
                var n = Math.Min(day.Length, birth.Length);
                if (string.CompareOrdinal(day[..n], birth[..n]) < 0)
                    Flag("before-birth", $"The {what} {date} is before the patient's birth ({birth}).", source);
            }
        }

        private void Flag(string code, string text, Ref source)
        {
            if (_flagged.Add((code + text, source.Reference)))
                _flags.Add(new EvidenceFlag(code, text, source));
        }
    }

    // ---- shared helpers ----------------------------------------------------------------------

    private static string? Group(Match m, string name) => m.Success && m.Groups[name].Success ? m.Groups[name].Value.Trim() : null;

    private static string? FirstCode(CodeableConcept? cc) => cc?.Coding.Select(c => c.Code).FirstOrDefault(c => !string.IsNullOrWhiteSpace(c));

    private static string? NullIfEmpty(string s) => string.IsNullOrWhiteSpace(s) ? null : s;

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

    private static Ref Reference(Resource r)
    {
        var display = r switch
        {
            Condition c => TextsOf(c.Code).FirstOrDefault(),
            Procedure p => TextsOf(p.Code).FirstOrDefault(),
            DiagnosticReport d => TextsOf(d.Code).FirstOrDefault(),
            Observation o => TextsOf(o.Code).FirstOrDefault(),
            ImagingStudy s => s.Description,
            _ => null,
        };
        return new Ref($"{r.TypeName}/{r.Id}", Clip(display));
    }

    internal static string? Clip(string? text)
    {
        if (text is null)
            return null;
        var t = text.Trim();
        return t.Length <= MaxText ? t : t[..MaxText] + "…";
    }

    [GeneratedRegex(@"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$", RegexOptions.CultureInvariant)]
    private static partial Regex WellFormedIcd10Cm();

    [GeneratedRegex(@"\b(bilat(eral(ly)?)?|both\s+sides)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Bilateral();

    // "left", or the clinicians' capital abbreviations: "L GON block", "GON blk L", "(TON) L", "LT"; never "L4-5" or "L/S".
    [GeneratedRegex(@"(?i:\bleft\b)|(?<![\w/.-])L(?![\w/-])|\bLT\b", RegexOptions.CultureInvariant)]
    private static partial Regex LeftWord();

    // Likewise, never "R/O" (rule out).
    [GeneratedRegex(@"(?i:\bright\b)|(?<![\w/.-])R(?![\w/-])|\bRT\b", RegexOptions.CultureInvariant)]
    private static partial Regex RightWord();
}
