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

    /// <summary>Writes <paramref name="q"/> into <paramref name="folder"/> as a site would, one JSON file.</summary>
    public static string Write(string folder, Questionnaire q)
    {
        var file = Path.Combine(folder, $"Questionnaire-{q.Id}.json");
        File.WriteAllText(file, new FhirJsonSerializer().SerializeToString(q));
        return file;
    }
}
