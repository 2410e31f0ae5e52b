using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;
using Rhizotomy.Core.Tests.TestData;

namespace Rhizotomy.Core.Tests.Templates;

public class TemplateDefinitionsTests
{
    [Fact]
    public void Every_template_is_valid_against_base_R4()
    {
        foreach (var q in TemplateDefinitions.All())
        {
            var errors = BaseR4.Errors(BaseR4.Validate(q)).ToList();
            Assert.True(errors.Count == 0, string.Join("\n", errors));
        }
    }

    [Fact]
    public void Base_R4_forbids_answerOption_next_to_answerValueSet_which_is_why_the_templates_bind_value_sets_only()
    {
        var q = TemplateDefinitions.Build(Technique.Neurectomy);
        var stump = TemplateCatalog.Flatten(q.Item).Single(i => i.LinkId == "gon-left-stump");
        stump.AnswerOption.AddRange(TemplateAnswers.For(stump.AnswerValueSet)!.Select(c => new Questionnaire.AnswerOptionComponent { Value = c }));

        var errors = BaseR4.Errors(BaseR4.Validate(q)).ToList();

        Assert.Contains(errors, e => e.Contains("que-4", StringComparison.Ordinal));
    }

    [Fact]
    public void Templates_have_canonical_identity_and_a_patient_subject()
    {
        var all = TemplateDefinitions.All();
        Assert.Equal([TemplateDefinitions.NeurectomyId, TemplateDefinitions.CoagulationId], all.Select(q => q.Id));
        Assert.All(all, q =>
        {
            Assert.Equal(Known.CanonicalBase + "/Questionnaire/" + q.Id, q.Url);
            Assert.Equal(PublicationStatus.Active, q.Status);
            Assert.False(string.IsNullOrWhiteSpace(q.Version));
            Assert.False(string.IsNullOrWhiteSpace(q.Name));
            Assert.False(string.IsNullOrWhiteSpace(q.Title));
            Assert.Equal([ResourceType.Patient], q.SubjectType.Select(s => s!.Value));
        });
    }

    [Fact]
    public void Every_nerve_and_side_has_both_technique_branches_enabled_by_the_technique_answer()
    {
        var q = Responses.NeurectomyTemplate;
        var items = TemplateCatalog.Flatten(q.Item).ToDictionary(i => i.LinkId!);
        Assert.Equal(6, NerveSides.Of(q).Count);
        foreach (var n in NerveSides.Of(q))
        {
            Assert.Contains(n.Group, items.Keys);
            var segment = items[n.SegmentLength];
            Assert.Equal(Questionnaire.EnableWhenBehavior.All, segment.EnableBehavior);
            Assert.Contains(segment.EnableWhen, w => w.Question == n.Technique && w.Answer is Coding { Code: Known.Codes.Neurectomy });
            Assert.Contains(segment.EnableWhen, w => w.Question == n.Treated);
            Assert.Contains(items[n.EnergyMethod].EnableWhen, w => w.Question == n.Technique && w.Answer is Coding { Code: Known.Codes.Coagulation });
            foreach (var rf in new[] { n.RfTemperature, n.RfDuration, n.RfLesions })
            {
                Assert.Contains(items[rf].EnableWhen, w => w.Question == n.EnergyMethod && w.Answer is Coding { Code: Known.Codes.Radiofrequency });
            }
            Assert.True(items[n.SpecimenSent].Required);
            Assert.True(items[n.Stump].Required);
        }
    }

    [Theory]
    [InlineData("gon-left-segment-length", "mm", 1, 50)]
    [InlineData("lon-right-rf-temperature", "Cel", 60, 95)]
    [InlineData("ton-left-rf-duration", "s", 30, 180)]
    [InlineData("gon-right-rf-lesions", "{lesions}", 1, 10)]
    [InlineData("estimated-blood-loss", "mL", 0, 2000)]
    public void Numeric_items_carry_a_UCUM_unit_and_a_clinical_range(string linkId, string unit, int min, int max)
    {
        var item = TemplateCatalog.Flatten(Responses.CoagulationTemplate.Item).Single(i => i.LinkId == linkId);
        Assert.Equal(unit, item.GetExtensionValue<Coding>(Known.Extensions.QuestionnaireUnit).Code);
        Assert.Equal(Known.Systems.UnitsOfMeasure, item.GetExtensionValue<Coding>(Known.Extensions.QuestionnaireUnit).System);
        Assert.Equal((decimal)min, Number(item.GetExtensionValue<DataType>(Known.Extensions.MinValue)));
        Assert.Equal((decimal)max, Number(item.GetExtensionValue<DataType>(Known.Extensions.MaxValue)));
    }

    private static decimal? Number(DataType value) => value switch
    {
        FhirDecimal d => d.Value,
        Integer i => i.Value,
        _ => null,
    };

    [Fact]
    public void Coded_items_are_bound_to_the_project_value_sets_and_the_lists_resolve_without_a_server()
    {
        var items = TemplateCatalog.Flatten(Responses.NeurectomyTemplate.Item).ToDictionary(i => i.LinkId!);
        Assert.Equal(Known.ValueSetFor("nerve-finding"), items["gon-left-findings"].AnswerValueSet);
        Assert.Equal(Known.ValueSetFor("stump-management"), items["gon-left-stump"].AnswerValueSet);
        Assert.Equal(Known.ValueSetFor("energy-method"), items["gon-left-energy-method"].AnswerValueSet);
        Assert.Equal(Known.LateralityValueSet, items[LinkIds.PreopDiagnosisSide].AnswerValueSet);
        Assert.Equal(Known.DiagnosisValueSet, items[LinkIds.PreopDiagnosisCode].AnswerValueSet);
        foreach (var item in items.Values.Where(i => i.AnswerValueSet is not null))
        {
            Assert.NotEmpty(TemplateAnswers.For(item.AnswerValueSet)!);
        }
        Assert.Equal(4, TemplateAnswers.For(Known.ValueSetFor("stump-management"))!.Count);
    }

    [Fact]
    public void Anaesthesia_is_never_pre_selected_and_the_template_technique_is_offered_first()
    {
        // Issue 16: a default that was not confirmed must never reach a signed record.
        var items = TemplateCatalog.Flatten(Responses.NeurectomyTemplate.Item).ToDictionary(i => i.LinkId!);
        Assert.DoesNotContain(items[LinkIds.Anaesthesia].AnswerOption, o => o.InitialSelected == true);
        Assert.Empty(items[LinkIds.Anaesthesia].Initial);
        Assert.Equal(4, items[LinkIds.Anaesthesia].AnswerOption.Count);
        Assert.Equal(Known.Codes.Neurectomy, ((Coding)items["gon-left-technique"].Initial[0].Value).Code);
        var coag = TemplateCatalog.Flatten(Responses.CoagulationTemplate.Item).Single(i => i.LinkId == "gon-left-technique");
        Assert.Equal(Known.Codes.Coagulation, ((Coding)coag.Initial[0].Value).Code);
    }

    [Fact]
    public void Every_operative_note_section_has_an_item()
    {
        var codes = TemplateCatalog.Flatten(Responses.NeurectomyTemplate.Item).SelectMany(i => i.Code).Select(c => c.Code).ToHashSet();
        foreach (var section in new[]
        {
            Known.Loinc.PreoperativeDiagnosis, Known.Loinc.PostoperativeDiagnosis, Known.Loinc.ProcedureDescription,
            Known.Loinc.Anesthesia, Known.Loinc.ProcedureFindings, Known.Loinc.Complications, Known.Loinc.EstimatedBloodLoss, Known.Loinc.SpecimensTaken,
            Known.Loinc.ProcedureIndications, Known.Loinc.ProcedureImplants, Known.Loinc.SurgicalDrains,
            Known.Loinc.ProcedureDisposition, Known.Loinc.PlanOfTreatment,
        })
        {
            Assert.Contains(section, codes);
        }
    }
}
