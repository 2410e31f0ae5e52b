using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;
using Rhizotomy.Core.Tests.TestData;
using static Rhizotomy.Core.Tests.TestData.Responses;
using static Rhizotomy.Tests.Shared.NoteAnswers;
using Rhizotomy.Tests.Shared;

namespace Rhizotomy.Core.Tests.Templates;

public class NoteReaderTests
{
    private static readonly NerveSide LeftGon = NoteAnswers.For(Nerve.GreaterOccipital, Side.Left);
    private static readonly NerveSide RightLon = NoteAnswers.For(Nerve.LesserOccipital, Side.Right);

    private static NoteReadResult Read(QuestionnaireResponse qr, CaseEvidence evidence, Questionnaire? template = null) =>
        NoteReader.Read(template ?? NeurectomyTemplate, qr, Cases.Context(), evidence);

    [Fact]
    public void Populate_complete_and_read_gives_the_operative_note_the_surgeon_entered()
    {
        var evidence = Cases.ClassicLeft();
        var qr = CompletedLeftNeurectomy(evidence);
        Set(qr, [LinkIds.Nerves, LeftGon.Group, LeftGon.FindingsText], new FhirString("Nerve compressed by the semispinalis fascia"));

        var result = Read(qr, evidence);

        Assert.True(result.CanSign, string.Join("\n", result.Outcome.Issue.Select(i => i.Details?.Text)));
        var note = result.Note!;
        Assert.Equal(Cases.Context(), note.Context);
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 9, 0, 0, TimeSpan.FromHours(1)), note.PerformedStart);
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 10, 30, 0, TimeSpan.FromHours(1)), note.PerformedEnd);

        var diagnosis = Assert.Single(note.PreoperativeDiagnoses);
        Assert.Equal(new Concept(Known.Systems.Icd10Cm, Known.Icd10Cm.OccipitalNeuralgia, "Occipital neuralgia"), diagnosis.Concept);
        Assert.Equal(Side.Left, diagnosis.Side);
        Assert.Equal("Condition/classic-left-on", diagnosis.Condition?.Reference);
        Assert.Equal(note.PreoperativeDiagnoses, note.PostoperativeDiagnoses);

        Assert.Equal(2, note.Indication.Blocks.Count);
        Assert.Equal(new PriorBlock("2026-05-12", Nerve.GreaterOccipital, Side.Left, 80, "80% relief for 6 hours", new Ref("Procedure/classic-left-block-1")),
            note.Indication.Blocks[0]);
        Assert.Equal(["MedicationStatement/classic-left-gabapentin", "Procedure/classic-left-pt"], note.Indication.Therapies.Select(t => t.Source?.Reference));
        Assert.All(note.Indication.Therapies, t => Assert.True(t.Failed));
        Assert.Equal("MRI cervical spine: no structural cause", Assert.Single(note.Indication.Imaging).Text);

        Assert.True(note.ConsentObtained);
        Assert.Equal([Known.Codes.ScalpNumbness, Known.Codes.Infection, Known.Codes.Bleeding], note.RisksDiscussed);
        Assert.Equal((Known.Systems.Snomed, Known.Snomed.GeneralAnesthesia), (note.Anesthesia.System, note.Anesthesia.Code));
        Assert.Equal("3 cm transverse incision below the occipital hairline", note.Approach);
        Assert.Equal(Known.Codes.OperatingMicroscope, note.Magnification);

        var treatment = Assert.Single(note.Treatments);
        Assert.Equal((Nerve.GreaterOccipital, Side.Left, Technique.Neurectomy), (treatment.Nerve, treatment.Side, treatment.Technique));
        Assert.Equal([Known.Codes.FindingEntrapped, Known.Codes.FindingThickened], treatment.Findings);
        Assert.Equal("Nerve compressed by the semispinalis fascia", treatment.FindingsText);
        Assert.Equal(new NeurectomyDetails(10m, Known.Codes.StumpBuriedInMuscle, true), treatment.Neurectomy);
        Assert.Null(treatment.Coagulation);
        Assert.Null(treatment.LateralityReason);

        Assert.Null(note.SpecimensText); // the segment sent is said from the nerve answers, in one place
        Assert.Equal((OperativeNote.NoneRecorded, OperativeNote.NoneRecorded), (note.Implants, note.Drains));
        Assert.True(note.Complications.None);
        Assert.Empty(note.Complications.Codes);
        Assert.Equal(15m, note.EstimatedBloodLossMl);
        Assert.Equal(Known.Codes.DispositionHomeSameDay, note.Disposition);
        Assert.Equal(
        [
            "Pain management: Paracetamol and ibuprofen for 5 days",
            "Wound care and infection prevention: Keep the wound dry for 48 hours",
            "Return to activity: Gradual return to normal activity over 2 weeks",
        ], note.Plan);
        Assert.Equal("Clinic in 2 weeks", note.FollowUp);
    }

    [Fact]
    public void A_bilateral_mixed_case_reads_each_nerve_with_its_own_technique()
    {
        var evidence = Cases.ClassicLeft() with
        {
            Diagnoses = [.. Cases.ClassicLeft().Diagnoses, Cases.OccipitalNeuralgia(Side.Right, "right-on")],
            Blocks = [.. Cases.ClassicLeft().Blocks, new PriorBlock("2026-06-01", Nerve.LesserOccipital, Side.Right, 60, null, null)],
        };
        var qr = CompletedLeftNeurectomy(evidence, CoagulationTemplate);
        Radiofrequency(qr, RightLon, celsius: 80m, seconds: 90m, lesions: 2);

        var result = Read(qr, evidence, CoagulationTemplate);

        Assert.True(result.CanSign);
        Assert.Equal([(Nerve.GreaterOccipital, Side.Left, Technique.Neurectomy), (Nerve.LesserOccipital, Side.Right, Technique.Coagulation)],
            result.Note!.Treatments.Select(t => (t.Nerve, t.Side, t.Technique)));
        Assert.Equal(new CoagulationDetails(EnergyMethod.Radiofrequency, 80m, 90m, 2), result.Note.Treatments[1].Coagulation);
    }

    [Fact]
    public void Bipolar_coagulation_reads_without_radiofrequency_settings_even_if_some_were_left_behind()
    {
        var evidence = Cases.ClassicLeft();
        var qr = CompletedLeftNeurectomy(evidence);
        Remove(qr, LinkIds.Nerves, LeftGon.Group);
        Radiofrequency(qr, LeftGon);
        Set(qr, [LinkIds.Nerves, LeftGon.Group, LeftGon.EnergyMethod], Project(Known.Codes.BipolarElectrocautery));

        var note = Read(qr, evidence).Note!;

        Assert.Equal(new CoagulationDetails(EnergyMethod.BipolarElectrocautery, null, null, null), Assert.Single(note.Treatments).Coagulation);
        Assert.Null(note.SpecimensText);
    }

    [Fact]
    public void A_changed_post_operative_diagnosis_is_kept_and_the_laterality_reason_is_carried()
    {
        var evidence = Cases.LateralityTrap();
        var qr = CompletedLeftNeurectomy(evidence);
        Set(qr, [LinkIds.Nerves, LeftGon.Group, LeftGon.LateralityReason], new FhirString("Symptoms now left-sided"));
        Set(qr, [LinkIds.PostopDiagnosis, LinkIds.PostopDiagnosisCode], new FhirString("Occipital neuralgia, left, nerve entrapment confirmed"));
        Set(qr, [LinkIds.PostopDiagnosis, LinkIds.PostopDiagnosisSide], TemplateAnswers.Laterality(Side.Left));
        // One laterality story: the pre-operative diagnosis the chart gave (right) is corrected to the side operated on.
        Set(qr, [LinkIds.PreopDiagnosis, LinkIds.PreopDiagnosisSide], TemplateAnswers.Laterality(Side.Left));

        var note = Read(qr, evidence).Note!;

        Assert.Equal("Symptoms now left-sided", note.Treatments.Single().LateralityReason);
        var postop = Assert.Single(note.PostoperativeDiagnoses);
        Assert.Equal(new Concept(null, null, "Occipital neuralgia, left, nerve entrapment confirmed"), postop.Concept);
        Assert.Equal(Side.Left, postop.Side);
        Assert.Equal(Side.Left, note.PreoperativeDiagnoses.Single().Side);
    }

    [Fact]
    public void A_note_with_warnings_can_be_signed_and_keeps_the_warnings()
    {
        var evidence = Cases.ClassicLeft() with { Imaging = [] };

        var result = Read(CompletedLeftNeurectomy(evidence), evidence);

        Assert.True(result.CanSign);
        Assert.Contains(result.Outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Warning);
    }

    [Fact]
    public void An_incomplete_response_gives_no_note_only_the_problems()
    {
        var qr = Populator(Cases.ClassicLeft());

        var result = Read(qr, Cases.ClassicLeft());

        Assert.False(result.CanSign);
        Assert.Null(result.Note);
        Assert.Contains(result.Outcome.Issue, i => i.Details?.Text == "Estimated blood loss is missing.");
    }

    [Fact]
    public void Reading_through_the_catalog_finds_the_template_the_response_names()
    {
        var catalog = TemplateCatalog.LoadDefault();
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft(), catalog.Find(TemplateDefinitions.CoagulationId));

        Assert.True(NoteReader.Read(catalog, qr, Cases.Context(), Cases.ClassicLeft()).CanSign);

        qr.Questionnaire = "http://example.org/Questionnaire/unknown";
        var unknown = NoteReader.Read(catalog, qr, Cases.Context(), Cases.ClassicLeft());
        Assert.Equal("This response answers a template that is not installed here.", Assert.Single(unknown.Outcome.Issue).Details!.Text);
        Assert.Equal("No response was given.", NoteReader.Read(catalog, null, Cases.Context(), Cases.ClassicLeft()).Outcome.Issue.Single().Details!.Text);
    }

    private static QuestionnaireResponse Populator(CaseEvidence evidence) =>
        Core.Prefill.Populator.Populate(NeurectomyTemplate, Launch(), evidence);
}
