using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Prefill;
using Rhizotomy.Core.Templates;
using Rhizotomy.Core.Tests.TestData;
using R = Hl7.Fhir.Model.QuestionnaireResponse;

namespace Rhizotomy.Core.Tests.Prefill;

public class PopulatorTests
{
    private static QuestionnaireResponse Populate(CaseEvidence evidence, Questionnaire? template = null) =>
        Populator.Populate(template ?? Responses.NeurectomyTemplate, Responses.Launch(), evidence);

    private static string? SourceOf(Element element) =>
        element.GetExtensionValue<ResourceReference>(Known.Extensions.PrefillSource)?.Reference;

    private static T Value<T>(R.ItemComponent item) where T : DataType => Assert.IsType<T>(item.Answer[0].Value, exactMatch: false);

    private static R.ItemComponent Child(R.ItemComponent group, string linkId) => group.Item.Single(i => i.LinkId == linkId);

    [Fact]
    public void A_new_draft_names_its_template_patient_encounter_surgeon_and_time_and_is_in_progress()
    {
        var qr = Populate(Cases.ClassicLeft());

        Assert.Equal(R.QuestionnaireResponseStatus.InProgress, qr.Status);
        Assert.Equal(Known.QuestionnaireUrl(TemplateDefinitions.NeurectomyId) + "|" + TemplateDefinitions.Version, qr.Questionnaire);
        Assert.Equal(("Patient/classic-left", "Synthetic Patient Classic"), (qr.Subject?.Reference, qr.Subject?.Display));
        Assert.Equal("Encounter/classic-left-surgery", qr.Encounter?.Reference);
        Assert.Equal("Practitioner/surgeon-1", qr.Author?.Reference);
        Assert.Equal("2026-11-20T08:00:00+00:00", qr.Authored);
    }

    [Fact]
    public void Classic_left_prefills_the_left_diagnosis_and_the_left_GON_blocks_with_relief_each_traced_to_the_chart()
    {
        var qr = Populate(Cases.ClassicLeft());

        var diagnosis = Assert.Single(qr.Item, i => i.LinkId == LinkIds.PreopDiagnosis);
        var code = Child(diagnosis, LinkIds.PreopDiagnosisCode);
        Assert.Equal(Known.Icd10Cm.OccipitalNeuralgia, Value<Coding>(code).Code);
        Assert.Equal(Known.Snomed.Left, Value<Coding>(Child(diagnosis, LinkIds.PreopDiagnosisSide)).Code);
        Assert.Equal("Condition/classic-left-on", SourceOf(diagnosis));
        Assert.Equal("Condition/classic-left-on", SourceOf(code));

        var indication = qr.Item.Single(i => i.LinkId == LinkIds.Indication);
        var blocks = indication.Item.Where(i => i.LinkId == LinkIds.PriorBlock).ToList();
        Assert.Equal(2, blocks.Count);
        Assert.Equal(["Procedure/classic-left-block-1", "Procedure/classic-left-block-2"], blocks.Select(SourceOf));
        Assert.Equal(["2026-05-12", "2026-07-02"], blocks.Select(b => Value<Date>(Child(b, LinkIds.PriorBlockDate)).Value));
        Assert.All(blocks, b =>
        {
            Assert.Equal(Known.Codes.GreaterOccipitalNerve, Value<Coding>(Child(b, LinkIds.PriorBlockNerve)).Code);
            Assert.Equal(Known.Snomed.Left, Value<Coding>(Child(b, LinkIds.PriorBlockSide)).Code);
            Assert.All(b.Item, answered => Assert.Equal(SourceOf(b), SourceOf(answered)));
        });
        Assert.Equal([80, 90], blocks.Select(b => Value<Integer>(Child(b, LinkIds.PriorBlockReliefPercent)).Value));
        Assert.Equal("80% relief for 6 hours", Value<FhirString>(Child(blocks[0], LinkIds.PriorBlockReliefText)).Value);

        var therapies = indication.Item.Where(i => i.LinkId == LinkIds.Therapy).ToList();
        Assert.Equal(["MedicationStatement/classic-left-gabapentin", "Procedure/classic-left-pt"], therapies.Select(SourceOf));
        Assert.All(therapies, t => Assert.True(Value<FhirBoolean>(Child(t, LinkIds.TherapyFailed)).Value));
        var imaging = Assert.Single(indication.Item, i => i.LinkId == LinkIds.Imaging);
        Assert.Equal("DiagnosticReport/classic-left-mri", SourceOf(imaging));
    }

    [Fact]
    public void Anaesthesia_starts_unanswered_and_post_operative_diagnosis_as_the_pre_operative_one()
    {
        var qr = Populate(Cases.ClassicLeft());

        Assert.DoesNotContain(qr.Item, i => i.LinkId == LinkIds.Anaesthesia); // the surgeon chooses it; nothing is pre-selected

        var postop = Assert.Single(qr.Item, i => i.LinkId == LinkIds.PostopDiagnosis);
        Assert.Equal(Known.Icd10Cm.OccipitalNeuralgia, Value<Coding>(Child(postop, LinkIds.PostopDiagnosisCode)).Code);
        Assert.Equal("Condition/classic-left-on", SourceOf(postop));
    }

    [Fact]
    public void Nothing_the_chart_does_not_say_is_prefilled()
    {
        var qr = Populate(Cases.ClassicLeft());

        Assert.Equal([LinkIds.PreopDiagnosis, LinkIds.Indication, LinkIds.PostopDiagnosis], qr.Item.Select(i => i.LinkId));
        Assert.DoesNotContain(qr.Item, i => i.LinkId == LinkIds.Nerves);

        var empty = Populate(Cases.Empty());
        Assert.Empty(empty.Item);
    }

    [Fact]
    public void Laterality_trap_prefills_the_right_diagnosis_and_the_left_block_as_the_chart_has_them()
    {
        var qr = Populate(Cases.LateralityTrap());

        var diagnosis = qr.Item.Single(i => i.LinkId == LinkIds.PreopDiagnosis);
        Assert.Equal(Known.Snomed.Right, Value<Coding>(Child(diagnosis, LinkIds.PreopDiagnosisSide)).Code);
        var block = qr.Item.Single(i => i.LinkId == LinkIds.Indication).Item.Single(i => i.LinkId == LinkIds.PriorBlock);
        Assert.Equal(Known.Snomed.Left, Value<Coding>(Child(block, LinkIds.PriorBlockSide)).Code);
        Assert.Equal("Procedure/trap-block-left", SourceOf(block));
    }

    [Fact]
    public void Inactive_diagnoses_are_left_out_and_text_only_ones_stay_text()
    {
        var evidence = Cases.Empty() with
        {
            Diagnoses =
            [
                Cases.OccipitalNeuralgia(Side.Left, "resolved", active: false),
                new EvidenceDiagnosis(new Ref("Condition/text-only"), new Concept(null, null, "Occipital headaches, right"), true, Side.Right, true, null),
            ],
        };

        var qr = Populate(evidence);

        var diagnosis = Assert.Single(qr.Item, i => i.LinkId == LinkIds.PreopDiagnosis);
        Assert.Equal("Occipital headaches, right", Value<FhirString>(Child(diagnosis, LinkIds.PreopDiagnosisCode)).Value);
        Assert.Equal("Condition/text-only", SourceOf(diagnosis));
    }

    [Fact]
    public void A_site_template_without_an_indication_section_gets_no_indication_items()
    {
        var site = TemplateDefinitions.Build(Technique.Neurectomy);
        site.Item.RemoveAll(i => i.LinkId == LinkIds.Indication);

        var qr = Populate(Cases.ClassicLeft(), site);

        Assert.DoesNotContain(qr.Item, i => i.LinkId == LinkIds.Indication);
        Assert.Contains(qr.Item, i => i.LinkId == LinkIds.PreopDiagnosis);
    }

    [Fact]
    public void A_prefilled_draft_is_valid_against_base_R4()
    {
        var errors = BaseR4.Errors(BaseR4.Validate(Populate(Cases.ClassicLeft()))).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
