using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Templates;
using Rhizotomy.Core.Tests.TestData;
using static Rhizotomy.Core.Tests.TestData.Responses;
using static Rhizotomy.Tests.Shared.NoteAnswers;

namespace Rhizotomy.Core.Tests.Checks;

/// <summary>
/// Issue 16's note-level rules that stop signing, each a <c>questionnaire-constraint</c> of the templates: the failing
/// note, the rule's key and its message; where a clinician may differ, the stated reason lets the note sign and is filed.
/// </summary>
public class ReportRulesTests
{
    private static readonly NerveSide LeftGon = For(Nerve.GreaterOccipital, Side.Left);

    /// <summary>CompleteCommon's operation ends 2026-11-20 09:30Z; the note is signed at 12:00Z the same day.</summary>
    private static readonly DateTimeOffset SignedAt = Cases.Context().SignedAt;

    private static QuestionnaireResponse Note() => CompletedLeftNeurectomy(Cases.ClassicLeft());

    private static NoteReadResult Read(QuestionnaireResponse qr, DateTimeOffset? signedAt = null) =>
        NoteReader.Read(NeurectomyTemplate, qr, Cases.Context() with { SignedAt = signedAt ?? SignedAt }, Cases.ClassicLeft());

    private static List<(string Key, string Text)> Errors(NoteReadResult read) =>
        [.. read.Outcome.Issue.Where(i => i.Severity == OperationOutcome.IssueSeverity.Error)
            .Select(i => (i.Details!.Coding.Single(c => c.System == Known.NoteCheckSystem).Code!, i.Details.Text!))];

    private static void AssertStopsSigning(NoteReadResult read, string key, string messageStart)
    {
        Assert.False(read.CanSign);
        var error = Assert.Single(Errors(read));
        Assert.Equal(key, error.Key);
        Assert.StartsWith(messageStart, error.Text, StringComparison.Ordinal);
    }

    private static string Filed(NoteReadResult read)
    {
        Assert.True(read.CanSign, string.Join("\n", Errors(read)));
        return new NoteComposer().Compose(read.Note!).Text;
    }

    private static void Times(QuestionnaireResponse qr, string start, string end)
    {
        Set(qr, [LinkIds.Performed, LinkIds.PerformedStart], new FhirDateTime(start));
        Set(qr, [LinkIds.Performed, LinkIds.PerformedEnd], new FhirDateTime(end));
    }

    [Fact]
    public void The_completed_note_signs_without_any_of_these_rules()
    {
        Assert.Empty(Errors(Read(Note())));
        Assert.DoesNotContain("Late entry", Filed(Read(Note())), StringComparison.Ordinal);
    }

    [Fact]
    public void An_operation_longer_than_the_site_maximum_stops_signing_until_a_reason_is_given_and_the_reason_is_filed()
    {
        var qr = Note();
        Times(qr, "2026-11-20T01:00:00+01:00", "2026-11-20T10:30:00+01:00");

        AssertStopsSigning(Read(qr), "duration-implausible", "Time of operation: the operation lasted longer than this site's maximum.");

        Set(qr, [LinkIds.Performed, "duration-reason"], new FhirString("dense scar from two earlier decompressions"));
        Assert.Contains("The operation took longer than usual: dense scar from two earlier decompressions.", Filed(Read(qr)), StringComparison.Ordinal);
    }

    [Fact]
    public void The_site_maximum_is_the_templates_variable_not_code()
    {
        var template = (Questionnaire)NeurectomyTemplate.DeepCopy();
        var variable = template.Extension.Select(Sdc.ExpressionOf).Single(e => e?.Name == "maxOperationDuration");
        variable!.Expression_ = "1 hours";

        var qr = Note();
        var read = NoteReader.Read(template, qr, Cases.Context(), Cases.ClassicLeft());

        Assert.Equal("duration-implausible", Assert.Single(Errors(read)).Key);
    }

    [Fact]
    public void An_operation_that_starts_in_the_future_stops_signing()
    {
        var qr = Note();
        Times(qr, "2026-11-20T14:00:00+01:00", "2026-11-20T15:00:00+01:00");

        var errors = Errors(Read(qr));

        Assert.Contains(("operation-in-future", "Time of operation: the start is in the future. A note is written after the operation."), errors);
        Assert.DoesNotContain(errors, e => e.Key == "signed-before-end");
    }

    [Fact]
    public void Signing_before_the_operation_has_ended_stops_signing()
    {
        var qr = Note();
        Times(qr, "2026-11-20T12:00:00+01:00", "2026-11-20T14:00:00+01:00");

        AssertStopsSigning(Read(qr), "signed-before-end", "Time of operation: the end is later than now. A note is signed after the operation has ended.");
    }

    [Fact]
    public void A_note_signed_after_the_late_entry_limit_is_a_warning_and_is_filed_marked_as_a_late_entry()
    {
        var read = Read(Note(), new DateTimeOffset(2026, 11, 23, 16, 0, 0, TimeSpan.Zero));

        var warning = Assert.Single(read.Outcome.Issue, i => i.Details!.Coding.Any(c => c.Code == "late-entry"));
        Assert.Equal(OperationOutcome.IssueSeverity.Warning, warning.Severity);
        Assert.Contains("Late entry: written and signed on 2026-11-23 16:00 +00:00, after the operation ended on 2026-11-20 10:30 +01:00.", Filed(read), StringComparison.Ordinal);
    }

    [Fact]
    public void No_complications_together_with_complications_in_words_stops_signing()
    {
        var qr = Note();
        Set(qr, [LinkIds.Complications, LinkIds.ComplicationsText], new FhirString("Small haematoma evacuated at the end."));

        AssertStopsSigning(Read(qr), "complications-text-with-none", "Complications: 'No complications' is recorded together with complications in words.");
    }

    [Theory]
    [InlineData("None")]
    [InlineData("none.")]
    [InlineData(" No specimens ")]
    public void Specimens_none_with_a_segment_sent_to_pathology_stops_signing(string none)
    {
        var qr = Note();
        Set(qr, [LinkIds.Specimens], new FhirString(none));

        AssertStopsSigning(Read(qr), "specimens-none-contradictory", "Specimens: 'none' is recorded, yet a nerve segment is marked as sent to pathology.");
    }

    [Fact]
    public void Specimens_none_signs_when_no_segment_was_sent()
    {
        var qr = Note();
        Set(qr, [LinkIds.Specimens], new FhirString("None"));
        Set(qr, [LinkIds.Nerves, LeftGon.Group, LeftGon.SpecimenSent], new FhirBoolean(false));

        Assert.Empty(Errors(Read(qr)));
    }

    [Fact]
    public void A_nerve_normal_in_appearance_and_entrapped_stops_signing()
    {
        var qr = Note();
        Set(qr, [LinkIds.Nerves, LeftGon.Group, LeftGon.Findings], Project(Known.Codes.FindingNormal), Project(Known.Codes.FindingEntrapped));

        AssertStopsSigning(Read(qr), "normal-with-abnormal-findings", "Findings: a nerve is recorded as normal in appearance together with an abnormal finding.");
    }

    [Fact]
    public void A_risk_list_containing_no_complications_stops_signing()
    {
        var qr = Note();
        Set(qr, [LinkIds.Consent, LinkIds.RisksDiscussed], Project(Known.Codes.Infection), Project(Known.Codes.NoComplications));

        AssertStopsSigning(Read(qr), "risks-contain-no-complications", "Consent: 'No complications' is not a risk.");
    }

    [Theory]
    [InlineData("G43.709", "Chronic migraine without aura")]
    [InlineData(null, "Headache at the back of the head")]
    public void A_pre_operative_diagnosis_that_is_not_an_indication_stops_signing_until_a_reason_is_given(string? icd10, string text)
    {
        var qr = Note();
        qr.Item.RemoveAll(i => i.LinkId == LinkIds.PreopDiagnosis);
        Set(qr, [LinkIds.PreopDiagnosis, LinkIds.PreopDiagnosisCode], icd10 is null ? new FhirString(text) : new Coding(Known.Systems.Icd10Cm, icd10, text));
        Set(qr, [LinkIds.PreopDiagnosis, LinkIds.PreopDiagnosisSide], new Coding(Known.Systems.Snomed, Known.Snomed.Left, "Left"));

        AssertStopsSigning(Read(qr), "indication-not-listed", "Pre-operative diagnosis: none of the diagnoses is an indication for this operation at this site");

        Set(qr, [LinkIds.Indication, "indication-reason"], new FhirString("the occipital component of her migraine responded to two blocks"));
        Assert.Contains("The operation was indicated because the occipital component of her migraine responded to two blocks.", Filed(Read(qr)), StringComparison.Ordinal);
    }

    [Fact]
    public void Cervicogenic_headache_is_an_indication_on_the_shipped_site_list()
    {
        var qr = Note();
        qr.Item.RemoveAll(i => i.LinkId == LinkIds.PreopDiagnosis);
        Set(qr, [LinkIds.PreopDiagnosis, LinkIds.PreopDiagnosisCode], new Coding(Known.Systems.Icd10Cm, Known.Icd10Cm.CervicogenicHeadache, "Cervicogenic headache"));
        Set(qr, [LinkIds.PreopDiagnosis, LinkIds.PreopDiagnosisSide], new Coding(Known.Systems.Snomed, Known.Snomed.Left, "Left"));

        Assert.DoesNotContain(Errors(Read(qr)), e => e.Key == "indication-not-listed");
    }
}
