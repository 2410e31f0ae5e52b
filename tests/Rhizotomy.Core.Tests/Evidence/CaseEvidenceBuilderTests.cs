using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Evidence;

namespace Rhizotomy.Core.Tests.Evidence;

public class CaseEvidenceBuilderTests
{
    private static CodeableConcept Snomed(string code, string display) => new(Known.Systems.Snomed, code, display);

    private static Condition OccipitalNeuralgia(string id, string? lateralityCode, string clinical = "active", string? verification = "confirmed") => new()
    {
        Id = id,
        ClinicalStatus = new CodeableConcept(Known.Systems.ConditionClinical, clinical),
        VerificationStatus = verification is null ? null : new CodeableConcept(Known.Systems.ConditionVerification, verification),
        Code = new CodeableConcept(Known.Systems.Icd10Cm, "M54.81", "Occipital neuralgia") { Text = "Occipital neuralgia" },
        BodySite = lateralityCode is null ? [] : [Snomed(lateralityCode, "laterality")],
        Onset = new FhirDateTime("2023-05"),
        Subject = new ResourceReference("Patient/p"),
    };

    private static Procedure Block(string id, string date, string lateralityCode, string outcome, EventStatus status = EventStatus.Completed) => new()
    {
        Id = id,
        Status = status,
        Code = new CodeableConcept(Known.ProjectCodeSystem, Known.Codes.OccipitalNerveBlock, "Occipital nerve block"),
        BodySite =
        [
            new CodeableConcept(Known.ProjectCodeSystem, Known.Codes.GreaterOccipitalNerve, "Greater occipital nerve"),
            Snomed(lateralityCode, "laterality"),
        ],
        Performed = new FhirDateTime(date),
        Outcome = new CodeableConcept { Text = outcome },
        Subject = new ResourceReference("Patient/p"),
    };

    private static List<Resource> ClassicLeft() =>
    [
        OccipitalNeuralgia("c1", Known.Snomed.Left),
        Block("b1", "2024-02-10", Known.Snomed.Left, "80% relief for 6 hours"),
        new Procedure
        {
            Id = "pt1", Status = EventStatus.Completed,
            Code = new CodeableConcept { Text = "Physical therapy, cervical, 8 sessions" },
            Performed = new Period { Start = "2023-08-01", End = "2023-10-01" },
            Outcome = new CodeableConcept { Text = "No improvement of headache" },
        },
        new MedicationStatement
        {
            Id = "m1", Status = MedicationStatement.MedicationStatusCodes.Stopped,
            Medication = new CodeableConcept { Text = "Gabapentin 300 mg" },
            Effective = new Period { Start = "2023-06", End = "2023-09" },
            Subject = new ResourceReference("Patient/p"),
        },
        new DiagnosticReport
        {
            Id = "r1", Status = DiagnosticReport.DiagnosticReportStatus.Final,
            Code = new CodeableConcept { Text = "MRI cervical spine without contrast" },
            Conclusion = "No structural lesion",
            Effective = new FhirDateTime("2023-07-15"),
        },
    ];

    [Fact]
    public void A_classic_left_chart_gives_a_coded_left_diagnosis_a_block_with_relief_and_no_gaps()
    {
        var evidence = CaseEvidenceBuilder.Build(ClassicLeft());

        var dx = Assert.Single(evidence.Diagnoses);
        Assert.Equal(("M54.81", Side.Left, false, true), (dx.Concept.Code, dx.Side, dx.TextOnly, dx.Active));
        Assert.Equal("Condition/c1", dx.Source.Reference);
        Assert.Equal("2023-05", dx.Onset);

        var block = Assert.Single(evidence.Blocks);
        Assert.Equal(("2024-02-10", Nerve.GreaterOccipital, Side.Left, 80), (block.Date, block.Nerve, block.Side, block.ReliefPercent));
        Assert.Equal("80% relief for 6 hours", block.ReliefText);

        Assert.Equal(2, evidence.Therapies.Count);
        Assert.All(evidence.Therapies, t => Assert.True(t.Failed));
        Assert.Contains(evidence.Therapies, t => t.Kind == "physical-therapy" && t.Period == "2023-08-01 to 2023-10-01");
        Assert.Contains(evidence.Therapies, t => t.Kind == "medication" && t.Text == "Gabapentin 300 mg");

        var imaging = Assert.Single(evidence.Imaging);
        Assert.Equal("MRI cervical spine without contrast: No structural lesion", imaging.Text);
        Assert.Empty(evidence.Gaps);
    }

    [Fact]
    public void A_chart_with_nothing_relevant_states_every_gap()
    {
        var evidence = CaseEvidenceBuilder.Build(
        [
            new Condition { Id = "x", Code = new CodeableConcept(Known.Systems.Icd10Cm, "I10", "Essential hypertension") },
            new MedicationRequest { Id = "mr", Status = MedicationRequest.MedicationrequestStatus.Active, Medication = new CodeableConcept { Text = "Lisinopril 10 mg" } },
            new DiagnosticReport { Id = "ct", Status = DiagnosticReport.DiagnosticReportStatus.Final, Code = new CodeableConcept { Text = "CT abdomen and pelvis" } },
        ]);

        Assert.Empty(evidence.Diagnoses);
        Assert.Empty(evidence.Therapies);
        Assert.Empty(evidence.Imaging);
        Assert.Equal(
            ["no-relevant-diagnosis", "no-diagnostic-block", "no-imaging", "no-failed-conservative-treatment"],
            evidence.Gaps.Select(g => g.Code));
    }

    [Fact]
    public void A_laterality_trap_keeps_the_right_diagnosis_apart_from_a_left_block()
    {
        // Diagnosis on the right, the only block on the left: the evidence must not merge the sides.
        var evidence = CaseEvidenceBuilder.Build(
        [
            OccipitalNeuralgia("c-right", Known.Snomed.Right),
            Block("b-left", "2024-01-05", Known.Snomed.Left, "Relief 30%"),
        ]);

        Assert.Equal(Side.Right, Assert.Single(evidence.Diagnoses).Side);
        var block = Assert.Single(evidence.Blocks);
        Assert.Equal((Side.Left, 30), (block.Side, block.ReliefPercent));
        var gap = Assert.Single(evidence.Gaps, g => g.Code == "no-diagnostic-block");
        Assert.Contains("right side", gap.Text);
        Assert.Contains("on the left side", gap.Text);
    }

    [Fact]
    public void A_bilateral_diagnosis_gives_one_item_per_side_with_the_same_source()
    {
        var evidence = CaseEvidenceBuilder.Build([OccipitalNeuralgia("c-both", Known.Snomed.LeftAndRight)]);

        Assert.Equal([Side.Left, Side.Right], evidence.Diagnoses.Select(d => d.Side!.Value).Order());
        Assert.All(evidence.Diagnoses, d => Assert.Equal("Condition/c-both", d.Source.Reference));

        var withLeftBlockOnly = CaseEvidenceBuilder.Build([OccipitalNeuralgia("c-both", Known.Snomed.LeftAndRight), Block("b", "2024-01-01", Known.Snomed.Left, "60% relief")]);
        Assert.Contains(withLeftBlockOnly.Gaps, g => g.Code == "no-diagnostic-block" && g.Text.Contains("right side", StringComparison.Ordinal));
        var withBothBlocks = CaseEvidenceBuilder.Build([OccipitalNeuralgia("c-both", Known.Snomed.LeftAndRight), Block("b", "2024-01-01", Known.Snomed.LeftAndRight, "60% relief")]);
        Assert.DoesNotContain(withBothBlocks.Gaps, g => g.Code == "no-diagnostic-block");
    }

    [Fact]
    public void Entered_in_error_refuted_and_resolved_diagnoses_are_shown_with_their_status_and_never_current()
    {
        var evidence = CaseEvidenceBuilder.Build(
        [
            OccipitalNeuralgia("eie", Known.Snomed.Left, verification: "entered-in-error"),
            OccipitalNeuralgia("refuted", Known.Snomed.Left, verification: "refuted"),
            OccipitalNeuralgia("old", Known.Snomed.Right, clinical: "resolved"),
        ]);

        Assert.Equal(["Condition/eie", "Condition/refuted", "Condition/old"], evidence.Diagnoses.Select(d => d.Source.Reference));
        Assert.All(evidence.Diagnoses, d => Assert.False(d.Active || d.Prefillable));
        Assert.Equal(["entered-in-error", "refuted", "confirmed"], evidence.Diagnoses.Select(d => d.VerificationStatus));
        Assert.Contains(evidence.Gaps, g => g.Code == "no-relevant-diagnosis");
    }

    [Fact]
    public void A_diagnosis_named_only_in_text_or_under_an_unknown_system_is_shown_as_text_never_coded()
    {
        var evidence = CaseEvidenceBuilder.Build(
        [
            new Condition { Id = "t", Code = new CodeableConcept { Text = "Left occipital neuralgia (per neurology)" } },
            new Condition { Id = "u", Code = new CodeableConcept("http://example.org/local-codes", "M54.81") { Text = "Occipital neuralgia" } },
        ]);

        Assert.Equal(2, evidence.Diagnoses.Count);
        Assert.All(evidence.Diagnoses, d => Assert.True(d.TextOnly && d.Concept.Code is null && d.Concept.System is null));
        Assert.Equal(Side.Left, evidence.Diagnoses.Single(d => d.Source.Reference == "Condition/t").Side);
        Assert.Contains(evidence.Gaps, g => g.Code == "no-relevant-diagnosis");
    }

    [Fact]
    public void Not_done_and_entered_in_error_blocks_are_ignored_and_a_text_only_block_is_found()
    {
        var evidence = CaseEvidenceBuilder.Build(
        [
            Block("nd", "2024-01-01", Known.Snomed.Left, "90% relief", EventStatus.NotDone),
            Block("eie", "2024-01-02", Known.Snomed.Left, "90% relief", EventStatus.EnteredInError),
            new Procedure
            {
                Id = "txt", Status = EventStatus.Completed,
                Code = new CodeableConcept { Text = "Right lesser occipital nerve block under ultrasound" },
                Performed = new FhirDateTime("2024-03"),
                Note = [new Annotation { Text = "Patient reported about 50 % relief lasting two days." }],
            },
        ]);

        var block = Assert.Single(evidence.Blocks);
        Assert.Equal(("Procedure/txt", "2024-03", Nerve.LesserOccipital, Side.Right, 50),
            (block.Source!.Reference, block.Date, block.Nerve, block.Side, block.ReliefPercent));
    }

    [Fact]
    public void Odd_data_with_hostile_text_partial_dates_and_missing_fields_does_not_break_the_builder()
    {
        var hostile = "<script>alert('x')</script> occipital neuralgia " + new string('A', 5000);
        var evidence = CaseEvidenceBuilder.Build(
        [
            new Condition { Id = "h", Code = new CodeableConcept { Text = hostile }, Onset = new FhirString("since childhood") },
            new Condition { Id = "empty" },
            new Procedure { Id = "p-empty" },
            new Procedure { Id = "p-block", Code = new CodeableConcept { Text = "GON block" }, Outcome = new CodeableConcept { Text = "relief 250%" } },
            new MedicationStatement { Id = "ms", Medication = new ResourceReference { Display = "Amitriptyline" }, Note = [new Annotation { Text = "side effects, discontinued" }] },
            new ImagingStudy { Id = "is", Modality = [new Coding("http://dicom.nema.org/resources/ontology/DCM", "MR")], Started = "2022" },
            new DiagnosticReport { Id = "dr" },
            new Patient { Id = "p" },
        ]);

        var dx = Assert.Single(evidence.Diagnoses);
        Assert.True(dx.TextOnly);
        Assert.True(dx.Concept.Text.Length <= 501, "free text is bounded");
        Assert.Equal("since childhood", dx.Onset);
        var block = Assert.Single(evidence.Blocks);
        Assert.Null(block.ReliefPercent);
        Assert.Equal(Nerve.GreaterOccipital, block.Nerve);
        Assert.True(Assert.Single(evidence.Therapies).Failed);
        Assert.Empty(evidence.Imaging); // an MR study of no stated region is not head or neck imaging (issue 17)
    }

    [Fact]
    public void A_site_supplied_block_code_is_recognised_only_when_configured()
    {
        var cptBlock = new Procedure
        {
            Id = "cpt", Status = EventStatus.Completed,
            Code = new CodeableConcept("http://site.example/procedures", "ONB"),
            Performed = new FhirDateTime("2024-04-01"),
        };

        Assert.Empty(CaseEvidenceBuilder.Build([cptBlock]).Blocks);
        var withMapping = CaseEvidenceBuilder.Build([cptBlock], new CaseEvidenceOptions([("http://site.example/procedures", "ONB")]));
        Assert.Equal("2024-04-01", Assert.Single(withMapping.Blocks).Date);
    }
}
