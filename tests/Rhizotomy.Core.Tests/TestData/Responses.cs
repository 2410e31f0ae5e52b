using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Prefill;
using Rhizotomy.Core.Templates;
using static Rhizotomy.Tests.Shared.NoteAnswers;
using Rhizotomy.Tests.Shared;

namespace Rhizotomy.Core.Tests.TestData;

/// <summary>Builds and edits QuestionnaireResponses in code, the way a surgeon fills the form.</summary>
internal static class Responses
{
    public static Questionnaire NeurectomyTemplate { get; } = TemplateDefinitions.Build(Technique.Neurectomy);
    public static Questionnaire CoagulationTemplate { get; } = TemplateDefinitions.Build(Technique.Coagulation);

    public static LaunchContext Launch() => new(Cases.Patient, Cases.Encounter, Cases.Surgeon, Cases.Authored);

    /// <summary>Prefilled from the chart, then completed: left GON neurectomy, no complications.</summary>
    public static QuestionnaireResponse CompletedLeftNeurectomy(CaseEvidence evidence, Questionnaire? template = null)
    {
        var qr = Populator.Populate(template ?? NeurectomyTemplate, Launch(), evidence);
        CompleteCommon(qr);
        Neurectomy(qr, NoteAnswers.For(Nerve.GreaterOccipital, Side.Left));
        return qr;
    }
}
