using System.Text;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Checks;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Prefill;
using Rhizotomy.Core.Templates;
using Rhizotomy.Core.Tests.TestData;
using Rhizotomy.Tests.Shared;
using static Rhizotomy.Tests.Shared.NoteAnswers;

namespace Rhizotomy.Core.Tests.Templates;

/// <summary>
/// A site's template folder, with no code change: a third template whose new required question has an
/// initialExpression, a rule (questionnaire-constraint) and a phrase pattern is offered, prefilled, checked and
/// written into the note; a template that loses an essential rule's item is refused, saying which.
/// </summary>
public sealed class SiteTemplateFolderTests : IDisposable
{
    private const string SiteUrl = SiteTemplates.Url;
    private readonly string _folder = Directory.CreateTempSubdirectory("rhizotomy-site-templates-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static Questionnaire SiteTemplate() => SiteTemplates.Build();

    private void Write(Questionnaire q) => SiteTemplates.Write(_folder, q);

    private static string PositioningPath => "QuestionnaireResponse.item.where(linkId='positioning')";

    [Fact]
    public void A_site_template_with_a_new_required_question_is_offered_prefilled_checked_and_filed_without_code()
    {
        Write(SiteTemplate());

        var catalog = TemplateCatalog.Load(TemplateCatalog.DefaultFolder, _folder, replaceShipped: false);

        // Offered by title, beside the two shipped templates.
        Assert.Equal(3, catalog.List().Count);
        Assert.Contains(catalog.List(), t => t.Title == SiteTemplates.Title);
        var template = catalog.Find(SiteUrl)!;

        // Prefilled by its initialExpression.
        var evidence = Cases.ClassicLeft();
        var qr = Responses.CompletedLeftNeurectomy(evidence, template);
        var prefilled = qr.Item.Single(i => i.LinkId == "positioning");
        Assert.Equal("prone", Assert.IsType<FhirString>(prefilled.Answer.Single().Value).Value);

        // Checked: required, and the site's own rule.
        var missing = (QuestionnaireResponse)qr.DeepCopy();
        Remove(missing, "positioning");
        var required = Assert.Single(NoteChecks.Check(template, missing, evidence).Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error);
        Assert.Equal(PositioningPath, required.Expression.Single());
        var supine = (QuestionnaireResponse)qr.DeepCopy();
        Set(supine, ["positioning"], new FhirString("supine"));
        var rule = Assert.Single(NoteChecks.Check(template, supine, evidence).Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error);
        Assert.Equal(SiteTemplates.RuleKey, rule.Details!.Coding.Single().Code);
        Assert.Equal(SiteTemplates.RuleText, rule.Details.Text);
        Assert.Equal(PositioningPath, rule.Expression.Single());

        // Filed: in the note's text (preview and DocumentReference), and in the Composition's procedure description.
        var read = NoteReader.Read(catalog, qr, Cases.Context(), evidence);
        Assert.True(read.CanSign, string.Join("\n", read.Outcome.Issue.Select(i => i.Details?.Text)));
        var composed = new NoteComposer().Compose(read.Note!, qr);
        const string Sentence = SiteTemplates.Sentence;
        Assert.Contains(Sentence, composed.Text);
        var plain = composed.DocumentReference.Content.Single(c => c.Attachment?.ContentType == "text/plain");
        Assert.Contains(Sentence, Encoding.UTF8.GetString(plain.Attachment!.Data!), StringComparison.Ordinal);
        var description = composed.Composition.Section.Single(s => s.Code?.Coding.FirstOrDefault()?.Code == Known.Loinc.ProcedureDescription);
        Assert.Contains(Sentence, description.Text?.Div ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public void An_answered_item_without_a_phrase_is_written_as_label_and_answer_in_its_section()
    {
        var q = SiteTemplate();
        var positioning = TemplateCatalog.Flatten(q.Item).Single(i => i.LinkId == "positioning");
        positioning.Extension.RemoveAll(e => e.Url is Sdc.NotePhrase or Sdc.NoteSection);
        var catalog = TemplateCatalog.From([q]);
        var evidence = Cases.ClassicLeft();
        var qr = Responses.CompletedLeftNeurectomy(evidence, q);

        var composed = new NoteComposer().Compose(NoteReader.Read(catalog, qr, Cases.Context(), evidence).Note!, qr);

        Assert.Contains("Positioning: prone.", composed.Text);
    }

    [Fact]
    public void Renaming_a_linkId_an_essential_rule_uses_refuses_the_template_saying_which()
    {
        var q = SiteTemplate();
        TemplateCatalog.Flatten(q.Item).Single(i => i.LinkId == LinkIds.ConsentObtained).LinkId = "consent-given";
        Write(q);

        var e = Assert.Throws<TemplateCatalogException>(() => TemplateCatalog.Load(TemplateCatalog.DefaultFolder, _folder, replaceShipped: false));

        Assert.Contains("Questionnaire-site-occipital-neurectomy.json", e.Message);
        Assert.Contains("rule 'consent-not-obtained' points at linkId 'consent-obtained', which is not an item of this template", e.Message);
    }

    [Fact]
    public void A_template_without_an_essential_rule_is_refused_saying_which()
    {
        var q = SiteTemplate();
        q.Extension.RemoveAll(e => e.Url == Sdc.Constraint && e.GetExtensionValue<Id>("key")?.Value == "complications-contradictory");

        var e = Assert.Throws<TemplateCatalogException>(() => TemplateCatalog.From([q]));

        Assert.Contains("it lacks the rule 'complications-contradictory'", e.Message);
    }

    [Fact]
    public void A_rule_that_does_not_compile_is_refused()
    {
        var q = SiteTemplate();
        var rule = q.Extension.Single(e => e.Url == Sdc.Constraint && e.GetExtensionValue<Id>("key")?.Value == "site-positioning");
        rule.SetExtension("expression", new FhirString("item.where(linkId='positioning'"));

        var e = Assert.Throws<TemplateCatalogException>(() => TemplateCatalog.From([q]));

        Assert.Contains("rule 'site-positioning': it is not valid FHIRPath", e.Message);
    }

    [Fact]
    public void A_site_folder_can_replace_the_shipped_templates()
    {
        Write(SiteTemplate());

        var catalog = TemplateCatalog.Load(TemplateCatalog.DefaultFolder, _folder, replaceShipped: true);

        Assert.Equal([SiteUrl], catalog.List().Select(t => t.Url));
    }

    [Fact]
    public void Prefill_answers_an_x_fhir_query_variable_from_the_chart_in_memory()
    {
        var q = SiteTemplate();
        q.Extension.Add(new Extension(Sdc.Variable, new Expression
        {
            Name = "conditions",
            Language = Sdc.FhirQueryLanguage,
            Expression_ = "Condition?patient={{%patient.id}}&clinical-status=active",
        }));
        var positioning = TemplateCatalog.Flatten(q.Item).Single(i => i.LinkId == "positioning");
        positioning.SetExtension(Sdc.InitialExpression, new Expression { Language = Sdc.FhirPathLanguage, Expression_ = "%conditions.first().code.text" });
        var chart = new List<Resource>
        {
            new Condition { Id = "c1", Subject = new ResourceReference("Patient/classic-left"), Code = new CodeableConcept { Text = "from the chart" },
                ClinicalStatus = new CodeableConcept(Known.Systems.ConditionClinical, "active") },
            new Condition { Id = "c2", Subject = new ResourceReference("Patient/someone-else"), Code = new CodeableConcept { Text = "other patient" },
                ClinicalStatus = new CodeableConcept(Known.Systems.ConditionClinical, "active") },
        };

        var (qr, problems) = Populator.Run(q, Responses.Launch(), Cases.ClassicLeft(), chart);

        Assert.Empty(problems);
        var item = qr.Item.Single(i => i.LinkId == "positioning");
        Assert.Equal("from the chart", Assert.IsType<FhirString>(item.Answer.Single().Value).Value);
        Assert.Equal("Condition/c1", item.GetExtensionValue<ResourceReference>(Known.Extensions.PrefillSource)?.Reference);
    }
}
