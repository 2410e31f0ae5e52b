using Hl7.Fhir.Model;
using Rhizotomy.Core.Checks;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;
using Rhizotomy.Core.Tests.TestData;
using static Rhizotomy.Core.Tests.TestData.Responses;
using static Rhizotomy.Tests.Shared.NoteAnswers;
using Rhizotomy.Tests.Shared;

namespace Rhizotomy.Core.Tests.Checks;

public class NoteChecksTests
{
    private static readonly NerveSide LeftGon = NoteAnswers.For(Nerve.GreaterOccipital, Side.Left);
    private static readonly NerveSide RightGon = NoteAnswers.For(Nerve.GreaterOccipital, Side.Right);
    private static readonly NerveSide LeftLon = NoteAnswers.For(Nerve.LesserOccipital, Side.Left);

    private static OperationOutcome Check(QuestionnaireResponse qr, CaseEvidence? evidence = null) =>
        NoteChecks.Check(NeurectomyTemplate, qr, evidence ?? Cases.ClassicLeft(), Cases.Context().SignedAt);

    private static List<OperationOutcome.IssueComponent> Errors(OperationOutcome o) =>
        [.. o.Issue.Where(i => i.Severity == OperationOutcome.IssueSeverity.Error)];

    private static List<OperationOutcome.IssueComponent> Warnings(OperationOutcome o) =>
        [.. o.Issue.Where(i => i.Severity == OperationOutcome.IssueSeverity.Warning)];

    private static string CheckKey(OperationOutcome.IssueComponent i) => i.Details!.Coding.Single(c => c.System == Known.NoteCheckSystem).Code!;

    private static OperationOutcome.IssueComponent SingleError(OperationOutcome o)
    {
        var errors = Errors(o);
        Assert.True(errors.Count == 1, string.Join("\n", o.Issue.Select(i => $"{i.Severity} {i.Expression.FirstOrDefault()} {i.Details!.Text}")));
        return errors[0];
    }

    private static string Path(params string[] linkIds) =>
        "QuestionnaireResponse" + string.Concat(linkIds.Select(l => $".item.where(linkId='{l}')"));

    [Fact]
    public void A_complete_classic_left_note_passes_with_no_errors_or_warnings()
    {
        var outcome = Check(CompletedLeftNeurectomy(Cases.ClassicLeft()));

        var issue = Assert.Single(outcome.Issue);
        Assert.Equal(OperationOutcome.IssueSeverity.Information, issue.Severity);
        Assert.Equal("all-checks-passed", CheckKey(issue));
    }

    [Fact]
    public void Signing_an_incomplete_note_lists_the_missing_items_in_plain_words()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Remove(qr, LinkIds.EstimatedBloodLoss);
        Remove(qr, LinkIds.Plan, LinkIds.PlanWound);
        Remove(qr, LinkIds.Performed);

        var errors = Errors(Check(qr));

        Assert.All(errors, e => Assert.Equal(OperationOutcome.IssueType.Required, e.Code));
        Assert.Equal(
        [
            (Path(LinkIds.EstimatedBloodLoss), "Estimated blood loss is missing."),
            (Path(LinkIds.Plan, LinkIds.PlanWound), "Post-operative plan: wound care and infection prevention is missing."),
            (Path(LinkIds.Performed, LinkIds.PerformedStart), "Time of operation: start is missing."),
            (Path(LinkIds.Performed, LinkIds.PerformedEnd), "Time of operation: end is missing."),
        ], errors.Select(e => (e.Expression.Single(), e.Details!.Text)));
    }

    [Fact]
    public void A_missing_neurectomy_segment_length_names_the_nerve_and_side()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Remove(qr, LinkIds.Nerves, LeftGon.Group, LeftGon.SegmentLength);

        var error = SingleError(Check(qr));

        Assert.Equal(Path(LinkIds.Nerves, "treat-gon-left", "gon-left-segment-length"), error.Expression.Single());
        Assert.Equal("Left greater occipital nerve: segment length is missing.", error.Details!.Text);
    }

    [Fact]
    public void Neurectomy_details_are_required_for_each_treated_nerve()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Remove(qr, LinkIds.Nerves, LeftGon.Group, LeftGon.Stump);
        Remove(qr, LinkIds.Nerves, LeftGon.Group, LeftGon.SpecimenSent);

        var errors = Errors(Check(qr));

        Assert.Equal(
            ["Left greater occipital nerve: proximal stump management is missing.", "Left greater occipital nerve: specimen sent to pathology is missing."],
            errors.Select(e => e.Details!.Text));
    }

    [Fact]
    public void Coagulation_needs_an_energy_method()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Remove(qr, LinkIds.Nerves, LeftGon.Group);
        Treat(qr, LeftGon, Known.Codes.Coagulation);

        var error = SingleError(Check(qr));

        Assert.Equal(Path(LinkIds.Nerves, "treat-gon-left", "gon-left-energy-method"), error.Expression.Single());
        Assert.Equal("Left greater occipital nerve: energy method is missing.", error.Details!.Text);
    }

    [Fact]
    public void Radiofrequency_needs_temperature_duration_and_number_of_lesions()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Remove(qr, LinkIds.Nerves, LeftGon.Group);
        Treat(qr, LeftGon, Known.Codes.Coagulation);
        Set(qr, [LinkIds.Nerves, LeftGon.Group, LeftGon.EnergyMethod], Project(Known.Codes.Radiofrequency));

        var errors = Errors(Check(qr));

        Assert.Equal(["gon-left-rf-temperature", "gon-left-rf-duration", "gon-left-rf-lesions"],
            errors.Select(e => e.Expression.Single()!.Split('\'')[^2]));
        Assert.Contains("Left greater occipital nerve: number of lesions is missing.", errors.Select(e => e.Details!.Text));
    }

    [Fact]
    public void Bipolar_coagulation_does_not_ask_for_radiofrequency_settings_and_ignores_stale_ones()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Remove(qr, LinkIds.Nerves, LeftGon.Group);
        Radiofrequency(qr, LeftGon, celsius: 200m);
        // The surgeon switched to bipolar after typing an impossible RF temperature: that item is now disabled.
        Set(qr, [LinkIds.Nerves, LeftGon.Group, LeftGon.EnergyMethod], Project(Known.Codes.BipolarElectrocautery));

        Assert.Empty(Errors(Check(qr)));
    }

    [Fact]
    public void A_nerve_not_marked_treated_needs_no_details()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Set(qr, [LinkIds.Nerves, RightGon.Group, RightGon.Treated], new FhirBoolean(false));

        Assert.Empty(Errors(Check(qr)));
    }

    [Fact]
    public void A_note_with_no_nerve_treated_cannot_be_signed()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Set(qr, [LinkIds.Nerves, LeftGon.Group, LeftGon.Treated], new FhirBoolean(false));

        var error = SingleError(Check(qr));

        Assert.Equal("no-nerve-treated", CheckKey(error));
        Assert.Equal(Path(LinkIds.Nerves), error.Expression.Single());
    }

    [Fact]
    public void Complications_must_be_stated_even_when_there_were_none()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Remove(qr, LinkIds.Complications);

        var error = SingleError(Check(qr));

        Assert.Equal(Path(LinkIds.Complications, LinkIds.Complication), error.Expression.Single());
        Assert.Equal("Complications: record the complications, or state explicitly that there were none.", error.Details!.Text);
    }

    [Fact]
    public void No_complications_together_with_a_complication_is_contradictory()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Set(qr, [LinkIds.Complications, LinkIds.Complication], Project(Known.Codes.NoComplications), Project(Known.Codes.Bleeding));

        var error = SingleError(Check(qr));

        Assert.Equal("complications-contradictory", CheckKey(error));
        Assert.Equal(OperationOutcome.IssueType.BusinessRule, error.Code);
    }

    [Fact]
    public void A_complication_with_its_description_passes()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Set(qr, [LinkIds.Complications, LinkIds.Complication], Project(Known.Codes.Bleeding));
        Set(qr, [LinkIds.Complications, LinkIds.ComplicationsText], new FhirString("Venous bleeding controlled with bipolar"));

        Assert.Empty(Errors(Check(qr)));
    }

    [Fact]
    public void Laterality_trap_operating_on_the_left_without_a_left_diagnosis_is_stopped()
    {
        var evidence = Cases.LateralityTrap();
        var qr = CompletedLeftNeurectomy(evidence);
        // The note's diagnoses (prefilled right from the chart) are corrected to the side operated on: only the chart disagrees now.
        Set(qr, [LinkIds.PreopDiagnosis, LinkIds.PreopDiagnosisSide], TemplateAnswers.Laterality(Side.Left));
        Set(qr, [LinkIds.PostopDiagnosis, LinkIds.PostopDiagnosisSide], TemplateAnswers.Laterality(Side.Left));

        var error = SingleError(Check(qr, evidence));

        Assert.Equal("laterality-unconfirmed", CheckKey(error));
        Assert.Equal(Path(LinkIds.Nerves, "treat-gon-left", "gon-left-laterality-reason"), error.Expression.Single());
        Assert.Equal("Left greater occipital nerve: the chart has no active diagnosis on the left side (it has one on the right). "
            + "Check the side; if it is right, give the reason for operating on this side.", error.Details!.Text);
    }

    [Fact]
    public void Laterality_trap_with_the_surgeons_reason_for_the_side_can_be_signed()
    {
        var evidence = Cases.LateralityTrap();
        var qr = CompletedLeftNeurectomy(evidence);
        Set(qr, [LinkIds.Nerves, LeftGon.Group, LeftGon.LateralityReason], new FhirString("Pain moved to the left; left block gave 70% relief; chart not yet updated"));
        Set(qr, [LinkIds.PreopDiagnosis, LinkIds.PreopDiagnosisSide], TemplateAnswers.Laterality(Side.Left));
        Set(qr, [LinkIds.PostopDiagnosis, LinkIds.PostopDiagnosisSide], TemplateAnswers.Laterality(Side.Left));

        Assert.Empty(Errors(Check(qr, evidence)));
    }

    [Fact]
    public void An_inactive_diagnosis_on_the_side_does_not_confirm_it()
    {
        var evidence = Cases.ClassicLeft() with { Diagnoses = [Cases.OccipitalNeuralgia(Side.Left, "old", active: false)] };

        var qr = CompletedLeftNeurectomy(evidence);
        // Not prefilled (it is inactive): the surgeon enters the diagnosis on the note.
        Set(qr, [LinkIds.PreopDiagnosis, LinkIds.PreopDiagnosisCode], new Coding(Known.Systems.Icd10Cm, Known.Icd10Cm.OccipitalNeuralgia));
        Set(qr, [LinkIds.PreopDiagnosis, LinkIds.PreopDiagnosisSide], TemplateAnswers.Laterality(Side.Left));

        var error = SingleError(Check(qr, evidence));

        Assert.Equal("laterality-unconfirmed", CheckKey(error));
        Assert.Equal("Left greater occipital nerve: the chart has no active diagnosis on the left side. "
            + "Check the side; if it is right, give the reason for operating on this side.", error.Details!.Text);
    }

    [Theory]
    [InlineData("gon-left-segment-length", 60, "Left greater occipital nerve: segment length must be between 1 mm and 50 mm.")]
    [InlineData("gon-left-segment-length", 0.5, "Left greater occipital nerve: segment length must be between 1 mm and 50 mm.")]
    [InlineData("estimated-blood-loss", 3000, "Estimated blood loss must be between 0 mL and 2000 mL.")]
    public void Values_out_of_range_are_errors(string linkId, double value, string text)
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        string[] path = linkId == LinkIds.EstimatedBloodLoss ? [linkId] : [LinkIds.Nerves, LeftGon.Group, linkId];
        Set(qr, path, new FhirDecimal((decimal)value));

        var error = SingleError(Check(qr));

        Assert.Equal(("out-of-range", OperationOutcome.IssueType.Value), (CheckKey(error), error.Code));
        Assert.Equal(text, error.Details!.Text);
        Assert.Equal(Path(path), error.Expression.Single());
    }

    [Theory]
    [InlineData(120, 90, 3, "Left lesser occipital nerve: radiofrequency temperature must be between 60 °C and 95 °C.")]
    [InlineData(80, 10, 3, "Left lesser occipital nerve: lesion duration must be between 30 s and 180 s.")]
    [InlineData(80, 90, 12, "Left lesser occipital nerve: number of lesions must be between 1 and 10.")]
    public void Radiofrequency_settings_out_of_range_are_errors(int celsius, int seconds, int lesions, string text)
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        var evidence = Cases.ClassicLeft() with { Blocks = [.. Cases.ClassicLeft().Blocks, new PriorBlock("2026-05-12", Nerve.LesserOccipital, Side.Left, 60, null, null)] };
        Radiofrequency(qr, LeftLon, celsius, seconds, lesions);

        Assert.Equal(text, SingleError(Check(qr, evidence)).Details!.Text);
    }

    [Fact]
    public void An_operation_that_ends_before_it_starts_is_an_error()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Set(qr, [LinkIds.Performed, LinkIds.PerformedEnd], new FhirDateTime("2026-11-20T08:59:00+01:00"));

        var error = SingleError(Check(qr));

        Assert.Equal("end-before-start", CheckKey(error));
        Assert.Equal(Path(LinkIds.Performed, LinkIds.PerformedEnd), error.Expression.Single());
        Assert.Equal("Time of operation: the end is before the start.", error.Details!.Text);
    }

    [Fact]
    public void Start_and_end_in_different_time_zones_compare_as_instants()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        // 09:00+01:00 is 08:00Z: an end at 08:30Z is after it.
        Set(qr, [LinkIds.Performed, LinkIds.PerformedEnd], new FhirDateTime("2026-11-20T08:30:00Z"));

        Assert.Empty(Errors(Check(qr)));
    }

    [Fact]
    public void A_time_of_operation_without_a_time_of_day_is_an_error()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Set(qr, [LinkIds.Performed, LinkIds.PerformedStart], new FhirDateTime("2026-11-20"));

        Assert.Equal("Time of operation: the start needs a date, a time of day and a time zone.", SingleError(Check(qr)).Details!.Text);
    }

    [Fact]
    public void Consent_without_the_risks_discussed_is_incomplete()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Remove(qr, LinkIds.Consent, LinkIds.RisksDiscussed);

        Assert.Equal("Consent: risks discussed is missing.", SingleError(Check(qr)).Details!.Text);
    }

    [Fact]
    public void Consent_recorded_as_not_obtained_is_an_error()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Set(qr, [LinkIds.Consent, LinkIds.ConsentObtained], new FhirBoolean(false));

        Assert.Equal("consent-not-obtained", CheckKey(SingleError(Check(qr))));
    }

    [Fact]
    public void A_treated_nerve_and_side_with_no_diagnostic_block_on_record_does_not_sign()
    {
        var evidence = Cases.ClassicLeft() with { Diagnoses = [.. Cases.ClassicLeft().Diagnoses, Cases.OccipitalNeuralgia(Side.Right, "right-on")] };
        var qr = CompletedLeftNeurectomy(evidence);
        Neurectomy(qr, RightGon);

        var error = SingleError(Check(qr, evidence));

        Assert.Equal("block-before-operation", CheckKey(error));
        Assert.Equal(Path(LinkIds.Nerves, "treat-gon-right", "gon-right-block-reason"), error.Expression.Single());
        Assert.Equal("Right greater occipital nerve: no diagnostic block of this nerve on this side, done before the operation with at least 50% relief, "
            + "is on record. Record the block, or give the reason for operating without one.", error.Details!.Text);
    }

    [Theory]
    [InlineData("2026-05-12", 10, "a 10% block")]
    [InlineData("2026-11-21", 80, "a block dated after the operation")]
    [InlineData("2026-05-12", 49, "just under the site threshold")]
    public void A_block_that_does_not_qualify_does_not_sign(string date, int relief, string what)
    {
        var evidence = Cases.ClassicLeft() with { Blocks = [new PriorBlock(date, Nerve.GreaterOccipital, Side.Left, relief, null, new Ref("Procedure/b"))] };
        var qr = CompletedLeftNeurectomy(evidence);

        var error = SingleError(Check(qr, evidence));

        Assert.True(CheckKey(error) == "block-before-operation", what);
        Assert.StartsWith("Left greater occipital nerve: no diagnostic block of this nerve on this side", error.Details!.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_block_of_the_other_side_or_another_nerve_does_not_qualify()
    {
        var evidence = Cases.ClassicLeft() with { Blocks = [
            new PriorBlock("2026-05-12", Nerve.GreaterOccipital, Side.Right, 90, null, new Ref("Procedure/b1")),
            new PriorBlock("2026-05-12", Nerve.LesserOccipital, Side.Left, 90, null, new Ref("Procedure/b2"))] };

        Assert.Equal("block-before-operation", CheckKey(SingleError(Check(CompletedLeftNeurectomy(evidence), evidence))));
    }

    [Fact]
    public void Operating_without_a_qualifying_block_signs_with_a_stated_reason_and_the_reason_is_filed()
    {
        var evidence = Cases.ClassicLeft() with { Blocks = [] };
        var qr = CompletedLeftNeurectomy(evidence);
        Set(qr, [LinkIds.Nerves, LeftGon.Group, "gon-left-block-reason"], new FhirString("block contraindicated by anticoagulation"));

        var result = NoteReader.Read(NeurectomyTemplate, qr, Cases.Context(), evidence);

        Assert.True(result.CanSign, string.Join("\n", result.Outcome.Issue.Select(i => i.Details?.Text)));
        var text = Rhizotomy.Core.Notes.NoteRendering.Text(Rhizotomy.Core.Notes.NoteDocument.From(result.Note!));
        Assert.Contains("Left greater occipital nerve treated without a qualifying diagnostic block: block contraindicated by anticoagulation.", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_block_the_surgeon_adds_to_the_note_counts_as_on_record()
    {
        var evidence = Cases.ClassicLeft() with { Blocks = [] };
        var qr = CompletedLeftNeurectomy(evidence);
        Set(qr, [LinkIds.Indication, LinkIds.PriorBlock, LinkIds.PriorBlockDate], new Date("2026-03"));
        Set(qr, [LinkIds.Indication, LinkIds.PriorBlock, LinkIds.PriorBlockNerve], TemplateAnswers.Nerve(Nerve.GreaterOccipital));
        Set(qr, [LinkIds.Indication, LinkIds.PriorBlock, LinkIds.PriorBlockSide], TemplateAnswers.Laterality(Side.Left));
        Set(qr, [LinkIds.Indication, LinkIds.PriorBlock, LinkIds.PriorBlockReliefPercent], new Integer(70));

        var outcome = Check(qr, evidence);

        Assert.Equal("all-checks-passed", CheckKey(Assert.Single(outcome.Issue)));
    }

    [Fact]
    public void A_right_pre_operative_diagnosis_with_a_left_neurectomy_does_not_sign()
    {
        var evidence = Cases.ClassicLeft();
        var qr = CompletedLeftNeurectomy(evidence);
        Set(qr, [LinkIds.PreopDiagnosis, LinkIds.PreopDiagnosisSide], TemplateAnswers.Laterality(Side.Right));

        var error = SingleError(Check(qr, evidence));

        Assert.Equal("laterality-diagnosis-side", CheckKey(error));
        Assert.Equal(Path(LinkIds.Nerves, "treat-gon-left", "gon-left-treated"), error.Expression.Single());
        Assert.Equal("Left greater occipital nerve: the pre-operative diagnosis is on the right side only. "
            + "Correct the side of the diagnosis or of the nerve: a note whose sides disagree cannot be signed.", error.Details!.Text);
    }

    [Fact]
    public void A_right_post_operative_diagnosis_with_a_left_neurectomy_does_not_sign()
    {
        var evidence = Cases.ClassicLeft();
        var qr = CompletedLeftNeurectomy(evidence);
        Set(qr, [LinkIds.PostopDiagnosis, LinkIds.PostopDiagnosisCode], new Coding(Known.Systems.Icd10Cm, Known.Icd10Cm.OccipitalNeuralgia));
        Set(qr, [LinkIds.PostopDiagnosis, LinkIds.PostopDiagnosisSide], TemplateAnswers.Laterality(Side.Right));

        var error = SingleError(Check(qr, evidence));

        Assert.Equal("laterality-diagnosis-side", CheckKey(error));
        Assert.Equal("Left greater occipital nerve: the post-operative diagnosis is on the right side only. "
            + "Correct the side of the diagnosis or of the nerve: a note whose sides disagree cannot be signed.", error.Details!.Text);
    }

    [Fact]
    public void A_diagnosis_without_a_side_or_one_on_each_side_agrees_with_a_left_neurectomy()
    {
        var evidence = Cases.ClassicLeft();
        var unsided = CompletedLeftNeurectomy(evidence);
        Remove(unsided, LinkIds.PreopDiagnosis, LinkIds.PreopDiagnosisSide);

        Assert.Empty(Errors(Check(unsided, evidence)));
    }

    [Fact]
    public void No_documented_failed_conservative_treatment_is_a_warning()
    {
        var evidence = Cases.ClassicLeft() with { Therapies = [] };

        var warning = Assert.Single(Warnings(Check(CompletedLeftNeurectomy(evidence), evidence)));

        Assert.Equal("no-failed-conservative-treatment", CheckKey(warning));
        Assert.Equal(Path(LinkIds.Indication, LinkIds.Therapy), warning.Expression.Single());
    }

    [Fact]
    public void No_imaging_in_the_work_up_is_a_warning()
    {
        var evidence = Cases.ClassicLeft() with { Imaging = [] };

        var warning = Assert.Single(Warnings(Check(CompletedLeftNeurectomy(evidence), evidence)));

        Assert.Equal("no-imaging", CheckKey(warning));
        Assert.Equal("Indication: no imaging is documented in the work-up.", warning.Details!.Text);
    }

    [Fact]
    public void A_missing_required_item_in_a_repeated_block_names_which_block()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        var blocks = qr.Item.Single(i => i.LinkId == LinkIds.Indication).Item.Where(i => i.LinkId == LinkIds.PriorBlock).ToList();
        blocks[1].Item.RemoveAll(i => i.LinkId == LinkIds.PriorBlockDate);

        var error = SingleError(Check(qr));

        Assert.Equal("QuestionnaireResponse.item.where(linkId='indication').item.where(linkId='prior-block')[1].item.where(linkId='prior-block-date')",
            error.Expression.Single());
        Assert.Equal("Diagnostic nerve block 2: date is missing.", error.Details!.Text);
    }
}
