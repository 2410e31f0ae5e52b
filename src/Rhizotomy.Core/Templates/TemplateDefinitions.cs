using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Templates;

/// <summary>
/// The templates the product ships. They are data: the Questionnaire JSON files in <c>profiles/questionnaires/</c>
/// are the source (there is no generator); this class only names them and reads them from the copy beside the
/// assembly, for callers that want one of the shipped templates (tests, examples, benchmarks).
/// </summary>
public static class TemplateDefinitions
{
    public const string NeurectomyId = "occipital-neurectomy";
    public const string CoagulationId = "occipital-coagulation";
    public const string Version = "1.0.0";

    private static readonly Lazy<TemplateCatalog> Shipped = new(TemplateCatalog.LoadDefault);

    /// <summary>Every template the product ships (copies).</summary>
    public static IReadOnlyList<Questionnaire> All() => [Build(Technique.Neurectomy), Build(Technique.Coagulation)];

    /// <summary>A copy of the shipped template whose per-nerve technique defaults to <paramref name="defaultTechnique"/>.</summary>
    public static Questionnaire Build(Technique defaultTechnique) =>
        Shipped.Value.Find(defaultTechnique == Technique.Neurectomy ? NeurectomyId : CoagulationId)
        ?? throw new TemplateCatalogException("The shipped template folder lacks " + (defaultTechnique == Technique.Neurectomy ? NeurectomyId : CoagulationId) + ".");
}
