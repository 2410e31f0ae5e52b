using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Evidence;
using Rhizotomy.Core.Prefill;
using Rhizotomy.Core.Templates;
using Rhizotomy.Core.Tests.TestData;

namespace Rhizotomy.Core.Tests.Evidence;

/// <summary>
/// Issue 17: each misreading of a chart coded the way production EHRs code it, one test each
/// (every one failed with the builder before the code lists became data).
/// </summary>
public class RealChartTests
{
    private const string Cpt = Known.Systems.Cpt;
    private static readonly CaseEvidenceOptions Today = CaseEvidenceOptions.Default with { Today = new DateOnly(2026, 6, 1) };

    private static Condition Neuralgia(string id = "c1", string side = Known.Snomed.Left, string clinical = "active", string verification = "confirmed", string code = "M54.81") => new()
    {
        Id = id,
        ClinicalStatus = new CodeableConcept(Known.Systems.ConditionClinical, clinical),
        VerificationStatus = new CodeableConcept(Known.Systems.ConditionVerification, verification),
        Code = new CodeableConcept(Known.Systems.Icd10Cm, code, "Occipital neuralgia") { Text = "Occipital neuralgia" },
        BodySite = [new CodeableConcept(Known.Systems.Snomed, side, "Left")],
        Onset = new FhirDateTime("2024-01-10"),
    };

    private static Procedure Coded(string id, string system, string code, string? text = null, string date = "2025-11-03") => new()
    {
        Id = id,
        Status = EventStatus.Completed,
        Code = new CodeableConcept { Coding = [new Coding(system, code)], Text = text },
        BodySite = [new CodeableConcept(Known.Systems.Snomed, Known.Snomed.Left, "Left")],
        Performed = new FhirDateTime(date),
    };

    private static Procedure Texted(string id, string text, string? outcome = null) => new()
    {
        Id = id,
        Status = EventStatus.Completed,
        Code = new CodeableConcept { Text = text },
        Performed = new FhirDateTime("2025-10-01"),
        Outcome = outcome is null ? null : new CodeableConcept { Text = outcome },
    };

    [Fact]
    public void A_block_coded_with_CPT_64405_alone_is_a_greater_occipital_block_and_leaves_no_block_gap()
    {
        var evidence = CaseEvidenceBuilder.Build([Neuralgia(), Coded("b1", Cpt, "64405")]);

        var block = Assert.Single(evidence.Blocks);
        Assert.Equal((Nerve.GreaterOccipital, Side.Left, "2025-11-03"), (block.Nerve, block.Side, block.Date));
        Assert.DoesNotContain(evidence.Gaps, g => g.Code == "no-diagnostic-block");
        var nerve = Assert.Single(evidence.BlockDetails[0].Facts, f => f.Name == "nerve");
        Assert.False(nerve.FromText); // from the code, not from words
    }

    [Theory]
    [InlineData("GON injection")]
    [InlineData("Nerve block, greater occipital")]
    [InlineData("Injection of the left greater occipital nerve")]
    [InlineData("Occipital nerve injection")]
    [InlineData("Left GONB")]
    public void Block_wording_variants_are_blocks(string text)
    {
        var evidence = CaseEvidenceBuilder.Build([Texted("b1", text)]);

        Assert.Single(evidence.Blocks);
    }

    [Fact]
    public void A_site_list_that_extends_the_block_codes_reaches_the_builder_from_a_file()
    {
        var folder = Directory.CreateTempSubdirectory("evidence-lists-").FullName;
        try
        {
            var site = new ValueSet
            {
                Url = "http://site.example/ValueSet/blocks",
                Status = PublicationStatus.Active,
                Compose = new ValueSet.ComposeComponent { Include = [new ValueSet.ConceptSetComponent { System = "http://site.example/proc", Concept = [new() { Code = "ONB-1" }] }] },
            };
            var file = Path.Combine(folder, "blocks.json");
            File.WriteAllText(file, new FhirJsonSerializer().SerializeToString(site));
            var chart = new List<Resource> { Coded("b1", "http://site.example/proc", "ONB-1"), Coded("b2", Cpt, "64405") };

            var extended = EvidenceCodeLists.Load(EvidenceCodeLists.DefaultFolder,
                new EvidenceListSettings(new Dictionary<string, EvidenceListOverride> { [EvidenceValueSets.OccipitalNerveBlock] = new(file, Replace: false) }));
            var replaced = EvidenceCodeLists.Load(EvidenceCodeLists.DefaultFolder,
                new EvidenceListSettings(new Dictionary<string, EvidenceListOverride> { [EvidenceValueSets.OccipitalNerveBlock] = new(file, Replace: true) }));

            Assert.Empty(CaseEvidenceBuilder.Build(chart.Take(1)).Blocks);
            Assert.Equal(2, CaseEvidenceBuilder.Build(chart, new CaseEvidenceOptions([]) { Lists = extended }).Blocks.Count);
            Assert.Equal(["Procedure/b1"], CaseEvidenceBuilder.Build(chart, new CaseEvidenceOptions([]) { Lists = replaced }).Blocks.Select(b => b.Source!.Reference));
            var unknown = Assert.Throws<EvidenceListException>(() => EvidenceCodeLists.Load(EvidenceCodeLists.DefaultFolder,
                new EvidenceListSettings(new Dictionary<string, EvidenceListOverride> { ["blocks"] = new(file, false) })));
            Assert.Contains("'blocks'", unknown.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("97110")]
    [InlineData("97140")]
    public void Physical_therapy_coded_only_with_CPT_is_a_therapy(string code)
    {
        var pt = Coded("pt", Cpt, code);
        pt.ReasonReference = [new ResourceReference("Condition/c1")];
        pt.Outcome = new CodeableConcept { Text = "No improvement after 8 sessions" };

        var evidence = CaseEvidenceBuilder.Build([Neuralgia(), pt]);

        var therapy = Assert.Single(evidence.Therapies);
        Assert.Equal(("physical-therapy", true), (therapy.Kind, therapy.Failed));
    }

    [Fact]
    public void A_concentration_is_never_read_as_relief()
    {
        var reported = Texted("b1", "Left greater occipital nerve block, 0.5% bupivacaine 3 mL", "Patient reported 80% relief for 2 days");
        var concentrationOnly = Texted("b2", "Left greater occipital nerve block with 0.5% bupivacaine and 1% lidocaine");

        var evidence = CaseEvidenceBuilder.Build([reported, concentrationOnly]);

        var first = evidence.BlockDetails.Single(b => b.Source.Reference == "Procedure/b1");
        Assert.Equal((80, "2 days"), (first.ReliefPercent, first.ReliefDuration));
        Assert.Equal("3 mL", first.Volume);
        Assert.Contains("bupivacaine", first.Agent, StringComparison.OrdinalIgnoreCase);
        Assert.All(first.Facts.Where(f => f.Name is "relief" or "volume" or "agent"), f => Assert.True(f.FromText));
        Assert.Null(evidence.BlockDetails.Single(b => b.Source.Reference == "Procedure/b2").ReliefPercent);
    }

    [Fact]
    public void Relief_and_pain_score_Observations_linked_to_the_block_are_read_first()
    {
        var block = Coded("b1", Cpt, "64405", "Occipital nerve block (bupivacaine 0.5%)");
        var relief = new Observation
        {
            Id = "o-relief", Status = ObservationStatus.Final, Code = new CodeableConcept { Text = "Pain relief after nerve block" },
            PartOf = [new ResourceReference("Procedure/b1")], Value = new Quantity(70, "%", Known.Systems.UnitsOfMeasure),
        };
        var blockWithScores = Coded("b2", Cpt, "64405", date: "2025-12-01");
        Observation Score(string id, string when, int value) => new()
        {
            Id = id, Status = ObservationStatus.Final, Code = new CodeableConcept(Known.Systems.Loinc, "72514-3"),
            Focus = [new ResourceReference("Procedure/b2")], Effective = new FhirDateTime(when), Value = new Quantity(value, "{score}", Known.Systems.UnitsOfMeasure),
        };

        var evidence = CaseEvidenceBuilder.Build([block, relief, blockWithScores, Score("s1", "2025-12-01T09:00:00Z", 8), Score("s2", "2025-12-01T10:00:00Z", 2)]);

        var first = evidence.BlockDetails.Single(b => b.Source.Reference == "Procedure/b1");
        Assert.Equal(70, first.ReliefPercent);
        Assert.Equal("Observation/o-relief", Assert.Single(first.Facts, f => f.Name == "relief").Source.Reference);
        var second = evidence.BlockDetails.Single(b => b.Source.Reference == "Procedure/b2");
        Assert.Equal((8m, 2m, 75), (second.PainBefore, second.PainAfter, second.ReliefPercent));
        Assert.Equal("Observation/s1", Assert.Single(second.Facts, f => f.Name == "pain-before").Source.Reference);
    }

    [Theory]
    [InlineData("Lyrica 75 mg capsule", "pregabalin")]
    [InlineData("Aimovig 70 mg/mL autoinjector", "erenumab")]
    [InlineData("Neurontin 300 mg", "gabapentin")]
    public void Brand_names_map_to_their_ingredient_and_count(string written, string ingredient)
    {
        var evidence = CaseEvidenceBuilder.Build([new MedicationStatement
        {
            Id = "m1", Status = MedicationStatement.MedicationStatusCodes.Stopped, Medication = new CodeableConcept { Text = written },
        }]);

        var therapy = Assert.Single(evidence.TherapyDetails);
        Assert.Equal((ingredient, true), (therapy.Ingredient, therapy.Counts));
        Assert.Contains(ingredient, Assert.Single(evidence.Therapies).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_brand_name_is_followed_by_its_ingredient_before_the_dose()
    {
        var evidence = CaseEvidenceBuilder.Build([new MedicationStatement
        {
            Id = "m1", Status = MedicationStatement.MedicationStatusCodes.Stopped, Medication = new CodeableConcept { Text = "Lyrica 75 mg twice daily" },
        }]);
        Assert.StartsWith("Lyrica (pregabalin) 75 mg twice daily", Assert.Single(evidence.Therapies).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Ibuprofen_for_knee_pain_is_listed_apart_and_ibuprofen_for_the_headache_counts()
    {
        var knee = new Condition { Id = "knee", Code = new CodeableConcept { Text = "Osteoarthritis of right knee" } };
        MedicationRequest Ibuprofen(string id, string reason) => new()
        {
            Id = id, Status = MedicationRequest.MedicationrequestStatus.Stopped, Intent = MedicationRequest.MedicationRequestIntent.Order,
            Medication = new CodeableConcept("http://www.nlm.nih.gov/research/umls/rxnorm", "5640", "ibuprofen"),
            ReasonReference = [new ResourceReference(reason)],
        };

        var evidence = CaseEvidenceBuilder.Build([knee, Neuralgia(), Ibuprofen("for-knee", "Condition/knee"), Ibuprofen("for-head", "Condition/c1")]);

        Assert.Equal(["MedicationRequest/for-head"], evidence.Therapies.Select(t => t.Source!.Reference));
        var apart = Assert.Single(evidence.TherapyDetails, t => !t.Counts);
        Assert.Equal("MedicationRequest/for-knee", apart.Therapy.Source!.Reference);
    }

    [Fact]
    public void A_provisional_diagnosis_is_shown_as_provisional_and_not_prefilled()
    {
        var evidence = CaseEvidenceBuilder.Build([Neuralgia(verification: "provisional")]);

        var dx = Assert.Single(evidence.Diagnoses);
        Assert.Equal(("provisional", false), (dx.VerificationStatus, dx.Prefillable));
        var response = Populator.Populate(Responses.NeurectomyTemplate, Responses.Launch(), evidence);
        Assert.DoesNotContain(Flatten(response.Item), i => i.LinkId == LinkIds.PreopDiagnosisCode);
        Assert.Equal(CriterionStatus.NotMet, evidence.Necessity.Single(c => c.Id == "diagnosis").Status);
    }

    [Fact]
    public void A_diagnosis_in_remission_shows_its_status_and_abatement_date()
    {
        var remission = Neuralgia(clinical: "remission");
        remission.Abatement = new FhirDateTime("2025-09-15");

        var dx = Assert.Single(CaseEvidenceBuilder.Build([remission]).Diagnoses);

        Assert.Equal(("remission", "2025-09-15", false, false), (dx.ClinicalStatus, dx.Abatement, dx.Active, dx.Prefillable));
    }

    [Fact]
    public void A_malformed_code_is_shown_as_written_flagged_and_never_read_as_the_valid_code()
    {
        var evidence = CaseEvidenceBuilder.Build([Neuralgia(code: "m5481")]);

        var dx = Assert.Single(evidence.Diagnoses);
        Assert.Equal(((string?)null, "m5481", true, false), (dx.Concept.Code, dx.CodeAsWritten, dx.TextOnly, dx.Prefillable));
        var flag = Assert.Single(evidence.Flags);
        Assert.Equal(("malformed-code", "Condition/c1"), (flag.Code, flag.Source.Reference));
        Assert.Contains("'m5481'", flag.Text);
    }

    [Theory]
    [InlineData("MRI")]
    [InlineData("MRI lumbar spine")]
    [InlineData("Outside MRI report reviewed")]
    [InlineData("CT abdomen")]
    public void Imaging_text_without_a_head_or_neck_region_is_not_head_or_neck_imaging(string text)
    {
        var evidence = CaseEvidenceBuilder.Build([new DiagnosticReport { Id = "r", Status = DiagnosticReport.DiagnosticReportStatus.Final, Code = new CodeableConcept { Text = text } }]);

        Assert.Empty(evidence.Imaging);
    }

    [Fact]
    public void A_report_coded_with_a_head_or_neck_LOINC_code_is_imaging_without_any_text()
    {
        var evidence = CaseEvidenceBuilder.Build([new DiagnosticReport
        {
            Id = "r", Status = DiagnosticReport.DiagnosticReportStatus.Final, Code = new CodeableConcept(Known.Systems.Loinc, "30657-1"),
            Effective = new FhirDateTime("2025-04-02"),
        }]);

        Assert.Equal("DiagnosticReport/r", Assert.Single(evidence.Imaging).Source!.Reference);
    }

    [Fact]
    public void Dates_in_the_future_or_before_birth_are_flagged_and_kept()
    {
        var future = Neuralgia("future");
        future.Onset = new FhirDateTime("2099-01-01");
        var beforeBirth = Neuralgia("early");
        beforeBirth.Onset = new FhirDateTime("1975-05");
        var patient = new Patient { Id = "p", BirthDate = "1980-02-03" };

        var evidence = CaseEvidenceBuilder.Build([patient, future, beforeBirth], Today);

        Assert.Equal(2, evidence.Diagnoses.Count);
        Assert.Contains(evidence.Flags, f => f.Code == "future-date" && f.Source.Reference == "Condition/future");
        Assert.Contains(evidence.Flags, f => f.Code == "before-birth" && f.Source.Reference == "Condition/early");
    }

    [Fact]
    public void The_necessity_checklist_marks_each_default_criterion_with_its_sources()
    {
        var pt = Coded("pt", Cpt, "97110");
        pt.ReasonReference = [new ResourceReference("Condition/c1")];
        pt.Status = EventStatus.Stopped;
        var block = Coded("b1", Cpt, "64405");
        block.Outcome = new CodeableConcept { Text = "40% relief" };

        var evidence = CaseEvidenceBuilder.Build([Neuralgia(), pt, block], Today);

        var byId = evidence.Necessity.ToDictionary(c => c.Id);
        Assert.Equal(["diagnosis", "symptom-duration", "conservative-therapy", "diagnostic-block", "imaging"], evidence.Necessity.Select(c => c.Id));
        Assert.Equal(CriterionStatus.Met, byId["diagnosis"].Status);
        Assert.Equal("Condition/c1", Assert.Single(byId["diagnosis"].Sources).Reference);
        Assert.Equal(CriterionStatus.Met, byId["symptom-duration"].Status); // 2024-01-10 to 2026-06-01
        Assert.Equal(CriterionStatus.NotMet, byId["conservative-therapy"].Status); // one of two
        Assert.Equal(CriterionStatus.NotMet, byId["diagnostic-block"].Status); // 40% < 50%
        Assert.Contains("left", byId["diagnostic-block"].Finding, StringComparison.Ordinal);
        Assert.Equal(CriterionStatus.NotFound, byId["imaging"].Status);
    }

    [Fact]
    public void Checklist_findings_list_chart_text_ending_in_a_full_stop_without_a_stray_semicolon()
    {
        MedicationStatement Stopped(string id, string drug, string reason) => new()
        {
            Id = id, Status = MedicationStatement.MedicationStatusCodes.Stopped, Medication = new CodeableConcept { Text = drug },
            StatusReason = [new CodeableConcept { Text = reason }],
        };
        DiagnosticReport Mri(string id, string date) => new()
        {
            Id = id, Status = DiagnosticReport.DiagnosticReportStatus.Final, Code = new CodeableConcept { Text = "MRI brain" },
            Effective = new FhirDateTime(date), Conclusion = "No structural abnormality.",
        };

        var evidence = CaseEvidenceBuilder.Build([Neuralgia(), Stopped("m1", "gabapentin 300 mg", "Dizziness."), Stopped("m2", "topiramate 50 mg", "No relief."),
            Mri("r1", "2024-02-01"), Mri("r2", "2025-02-01")], Today);

        var byId = evidence.Necessity.ToDictionary(c => c.Id);
        Assert.Contains("Dizziness; ", byId["conservative-therapy"].Finding, StringComparison.Ordinal);
        Assert.Contains("abnormality; ", byId["imaging"].Finding, StringComparison.Ordinal);
        Assert.DoesNotContain(evidence.Necessity, c => c.Finding.Contains(".;", StringComparison.Ordinal));
    }

    private static IEnumerable<QuestionnaireResponse.ItemComponent> Flatten(IEnumerable<QuestionnaireResponse.ItemComponent> items) =>
        items.SelectMany(i => new[] { i }.Concat(Flatten(i.Item)).Concat(i.Answer.SelectMany(a => Flatten(a.Item))));
}
