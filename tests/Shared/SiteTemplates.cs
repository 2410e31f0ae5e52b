using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;

namespace Rhizotomy.Tests.Shared;

/// <summary>
/// A site's own template, as a site would write it in JSON: the shipped neurectomy template copied under the site's
/// canonical, with a required "positioning" question that has an initialExpression, a phrase pattern, a note section
/// and a rule of its own. No product code knows any of it.
/// </summary>
public static class SiteTemplates
{
    public const string Id = "site-occipital-neurectomy";
    public const string Url = "http://hospital.example/fhir/Questionnaire/site-occipital-neurectomy";
    public const string Title = "Site operative note: occipital neurectomy, prone";
    public const string Positioning = "positioning";
    public const string Sentence = "The patient was positioned prone, pressure points padded.";
    public const string RuleKey = "site-positioning";
    public const string RuleText = "Positioning: an occipital approach is not done supine.";

    public static Questionnaire Build()
    {
        var q = TemplateDefinitions.Build(Technique.Neurectomy);
        q.Id = Id;
        q.Url = Url;
        q.Title = Title;
        var positioning = new Questionnaire.ItemComponent
        {
            LinkId = Positioning,
            Text = "Positioning",
            Type = Questionnaire.QuestionnaireItemType.String,
            Required = true,
        };
        positioning.Extension.Add(new Extension(Sdc.InitialExpression, new Expression { Language = Sdc.FhirPathLanguage, Expression_ = "'prone'" }));
        positioning.Extension.Add(new Extension(Sdc.NotePhrase, new FhirString("The patient was positioned {answer}, pressure points padded.")));
        positioning.Extension.Add(new Extension(Sdc.NoteSection, new Code(Known.Loinc.ProcedureDescription)));
        var rule = new Extension { Url = Sdc.Constraint };
        rule.Extension.Add(new Extension("key", new Id(RuleKey)));
        rule.Extension.Add(new Extension("severity", new Code("error")));
        rule.Extension.Add(new Extension("expression", new FhirString("(item.where(linkId='positioning').answer.value = 'supine').not()")));
        rule.Extension.Add(new Extension("human", new FhirString(RuleText)));
        rule.Extension.Add(new Extension("location", new FhirString("item.where(linkId='positioning')")));
        q.Extension.Add(rule);
        q.Item.Insert(q.Item.FindIndex(i => i.LinkId == "approach"), positioning);
        return q;
    }

    /// <summary>
    /// <paramref name="template"/> with a left supraorbital nerve-side group, made as a site would: the left greater occipital
    /// group copied in JSON, its nerve code and names replaced.
    /// </summary>
    public static Questionnaire WithLeftSupraorbitalNerve(Questionnaire template)
    {
        template = (Questionnaire)template.DeepCopy();
        var nerves = template.Item.Single(i => i.LinkId == LinkIds.Nerves);
        var json = new FhirJsonSerializer().SerializeToString(nerves.Item.Single(g => g.LinkId == "treat-gon-left"))
            .Replace("gon-left", "son-left", StringComparison.Ordinal)
            .Replace(Known.Codes.GreaterOccipitalNerve, Supraorbital, StringComparison.Ordinal)
            .Replace("Left greater occipital nerve", "Left supraorbital nerve", StringComparison.Ordinal);
        var group = new FhirJsonDeserializer().Deserialize<Questionnaire.ItemComponent>(json);
        group.Code.Single(c => c.System == Known.ProjectCodeSystem).Display = "Supraorbital nerve";
        nerves.Item.Add(group);
        return template;
    }

    public const string Supraorbital = "supraorbital-nerve";
    public const string SupraorbitalNeurectomy = "supraorbital-neurectomy";

    /// <summary>
    /// What a site adds to the project CodeSystem for that nerve, as a JSON file in its template folder: the nerve, and the
    /// procedure concept that names it and the technique (its Procedure's code).
    /// </summary>
    public static string WriteSupraorbitalConcepts(string folder)
    {
        var concepts = new CodeSystem { Url = Known.ProjectCodeSystem, Status = PublicationStatus.Draft, Content = CodeSystemContentMode.Supplement };
        concepts.Concept.Add(new CodeSystem.ConceptDefinitionComponent { Code = Supraorbital, Display = "Supraorbital nerve" });
        var procedure = new CodeSystem.ConceptDefinitionComponent { Code = SupraorbitalNeurectomy, Display = "Supraorbital neurectomy" };
        procedure.Property.Add(new CodeSystem.ConceptPropertyComponent { Code = "technique", Value = new Code(Known.Codes.Neurectomy) });
        procedure.Property.Add(new CodeSystem.ConceptPropertyComponent { Code = "nerve", Value = new Code(Supraorbital) });
        concepts.Concept.Add(procedure);
        var file = Path.Combine(folder, "CodeSystem-site-nerves.json");
        File.WriteAllText(file, new FhirJsonSerializer().SerializeToString(concepts));
        return file;
    }

    /// <summary>Writes <paramref name="q"/> into <paramref name="folder"/> as a site would, one JSON file.</summary>
    public static string Write(string folder, Questionnaire q)
    {
        var file = Path.Combine(folder, $"Questionnaire-{q.Id}.json");
        File.WriteAllText(file, new FhirJsonSerializer().SerializeToString(q));
        return file;
    }
}
