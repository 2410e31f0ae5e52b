using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Templates;

/// <summary>A template folder holds a file that cannot be used; the message names every file and why.</summary>
public sealed class TemplateCatalogException(string message) : Exception(message);

/// <summary>
/// The operative-note templates, loaded as data from a folder of Questionnaire JSON files (by default the
/// <c>profiles/questionnaires/</c> copy shipped beside the assembly), so a site can add or change a
/// template without code. Loading fails loudly, naming each bad file: a template that silently went
/// missing would surface only when a surgeon could not sign.
/// </summary>
public sealed class TemplateCatalog
{
    // A template is a few dozen kilobytes; anything far larger is not one of ours.
    private const long MaxFileBytes = 2 * 1024 * 1024;

    // The reader and the checks cannot work without these, whatever else a site changes.
    private static readonly string[] EssentialLinkIds =
    [
        LinkIds.PreopDiagnosis, LinkIds.PreopDiagnosisCode, LinkIds.Nerves, LinkIds.Complication,
        LinkIds.PerformedStart, LinkIds.PerformedEnd, LinkIds.EstimatedBloodLoss, LinkIds.Disposition,
        LinkIds.Anaesthesia, LinkIds.Incision,
    ];

    private readonly IReadOnlyList<Questionnaire> _templates;
    private readonly CodeSystem _codeSystem;

    private TemplateCatalog(IReadOnlyList<Questionnaire> templates, IEnumerable<CodeSystem.ConceptDefinitionComponent>? siteConcepts = null)
    {
        _templates = templates;
        _codeSystem = Known.CodeSystem();
        // A site's concepts (a nerve it adds, and the procedures done on it) join the project's; a code already there stays as published.
        _codeSystem.Concept.AddRange((siteConcepts ?? []).Where(c => !_codeSystem.Concept.Any(k => k.Code == c.Code)).Select(c => (CodeSystem.ConceptDefinitionComponent)c.DeepCopy()));
        _codeSystem.Count = _codeSystem.Concept.Count;
        SiteConcepts = [.. siteConcepts ?? []];
    }

    private IReadOnlyList<CodeSystem.ConceptDefinitionComponent> SiteConcepts { get; }

    /// <summary>
    /// The project CodeSystem with the concepts a site's folder adds (a <c>CodeSystem</c> file with the project's canonical:
    /// a nerve, and the procedure concepts that name it and a technique). Extraction looks the Procedure's code up here. A copy.
    /// </summary>
    public CodeSystem CodeSystem => (CodeSystem)_codeSystem.DeepCopy();

    /// <summary>The folder shipped beside the assembly.</summary>
    public static string DefaultFolder => Path.Combine(AppContext.BaseDirectory, "profiles", "questionnaires");

    /// <summary>Loads <see cref="DefaultFolder"/>.</summary>
    public static TemplateCatalog LoadDefault() => Load(DefaultFolder);

    /// <summary>
    /// The shipped templates and a site's folder: <paramref name="siteFolder"/> beside the shipped ones (a site file with
    /// the same canonical and version replaces the shipped one), or instead of them when <paramref name="replaceShipped"/>.
    /// </summary>
    public static TemplateCatalog Load(string shippedFolder, string? siteFolder, bool replaceShipped)
    {
        if (string.IsNullOrWhiteSpace(siteFolder))
        {
            return Load(shippedFolder);
        }
        var site = Load(siteFolder);
        if (replaceShipped)
        {
            return site;
        }
        var shipped = Load(shippedFolder)._templates
            .Where(t => !site._templates.Any(s => s.Url == t.Url && s.Version == t.Version));
        return new TemplateCatalog([.. shipped, .. site._templates], site.SiteConcepts);
    }

    /// <summary>Loads every <c>*.json</c> file of <paramref name="folder"/> (not its subfolders).</summary>
    /// <exception cref="TemplateCatalogException">The folder is missing or empty, or a file is not a usable template.</exception>
    public static TemplateCatalog Load(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new TemplateCatalogException($"Template folder '{folder}' does not exist.");
        }
        var problems = new List<string>();
        var templates = new List<Questionnaire>();
        var concepts = new List<CodeSystem.ConceptDefinitionComponent>();
        var deserializer = new FhirJsonDeserializer(new DeserializerSettings());
        foreach (var file in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            var resource = Parse(file, deserializer, out var parseProblem);
            if (resource is CodeSystem codeSystem)
            {
                concepts.AddRange(codeSystem.Concept);
                continue;
            }
            if (resource is not Questionnaire q)
            {
                problems.Add($"{name}: {parseProblem}");
                continue;
            }
            problems.AddRange(Inspect(q).Select(p => $"{name}: {p}"));
            if (templates.Any(t => t.Url == q.Url && t.Version == q.Version))
            {
                problems.Add($"{name}: another file already defines {q.Url} version {q.Version}.");
            }
            templates.Add(q);
        }
        if (templates.Count == 0 && problems.Count == 0)
        {
            problems.Add("it holds no template (*.json).");
        }
        if (problems.Count > 0)
        {
            throw new TemplateCatalogException($"Template folder '{folder}' has unusable content:{Environment.NewLine}"
                + string.Join(Environment.NewLine, problems.Select(p => "- " + p)));
        }
        return new TemplateCatalog(templates, concepts);
    }

    /// <summary>Builds a catalog from templates already in memory (checked like files).</summary>
    public static TemplateCatalog From(IEnumerable<Questionnaire> templates)
    {
        var list = templates.Select(t => (Questionnaire)t.DeepCopy()).ToList();
        var problems = list.SelectMany(t => Inspect(t).Select(p => $"{t.Id ?? t.Url}: {p}")).ToList();
        if (problems.Count > 0)
        {
            throw new TemplateCatalogException("Unusable templates:" + Environment.NewLine + string.Join(Environment.NewLine, problems));
        }
        return new TemplateCatalog(list);
    }

    /// <summary>Every template (copies), each once, in load order.</summary>
    public IReadOnlyList<Questionnaire> All() => [.. _templates.Select(t => (Questionnaire)t.DeepCopy())];

    /// <summary>(id, canonical url, version, title) of each template, for a picker.</summary>
    public IReadOnlyList<TemplateSummary> List() =>
        [.. _templates.Select(t => new TemplateSummary(t.Id, t.Url ?? string.Empty, t.Version, t.Title ?? t.Name ?? t.Id ?? t.Url ?? string.Empty))];

    /// <summary>
    /// The template with this id, canonical url, or <c>url|version</c>; null when unknown. Returns a copy:
    /// callers may change it without touching the catalog.
    /// </summary>
    public Questionnaire? Find(string? idOrCanonical)
    {
        if (string.IsNullOrWhiteSpace(idOrCanonical))
        {
            return null;
        }
        var (url, version) = SplitCanonical(idOrCanonical);
        var found = _templates.FirstOrDefault(t => t.Id == idOrCanonical)
            ?? _templates.Where(t => t.Url == url && (version is null || t.Version == version))
                .OrderByDescending(t => t.Version, StringComparer.Ordinal)
                .FirstOrDefault();
        return (Questionnaire?)found?.DeepCopy();
    }

    internal static (string Url, string? Version) SplitCanonical(string canonical)
    {
        var bar = canonical.IndexOf('|', StringComparison.Ordinal);
        return bar < 0 ? (canonical, null) : (canonical[..bar], canonical[(bar + 1)..]);
    }

    /// <summary>A template, or a CodeSystem with the project's canonical (concepts a site adds); null, saying why, for anything else.</summary>
    private static Resource? Parse(string file, FhirJsonDeserializer deserializer, out string problem)
    {
        problem = string.Empty;
        try
        {
            if (new FileInfo(file).Length > MaxFileBytes)
            {
                problem = "the file is too large to be a template.";
                return null;
            }
            var resource = deserializer.DeserializeResource(File.ReadAllText(file));
            if (resource is Questionnaire or CodeSystem { Url: Known.ProjectCodeSystem })
            {
                return resource;
            }
            problem = resource is CodeSystem ? $"it is a CodeSystem other than the project's ({Known.ProjectCodeSystem})."
                : $"it is a {resource.TypeName}, not a Questionnaire.";
            return null;
        }
        catch (DeserializationFailedException e)
        {
            var first = e.Exceptions.Select(x => x.Message).FirstOrDefault() ?? e.Message;
            problem = $"it is not valid FHIR JSON ({first}).";
            return null;
        }
        catch (System.Text.Json.JsonException)
        {
            problem = "it is not valid FHIR JSON (the JSON itself is malformed).";
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            problem = $"it cannot be read ({e.Message}).";
            return null;
        }
    }

    /// <summary>Why a template cannot be used to write an operative note (what loading would refuse it for); empty when it can.</summary>
    public static IReadOnlyList<string> Problems(Questionnaire q) => [.. Inspect(q)];

    /// <summary>Why a template cannot be used to write an operative note; empty when it can.</summary>
    internal static IEnumerable<string> Inspect(Questionnaire q)
    {
        if (string.IsNullOrWhiteSpace(q.Url))
        {
            yield return "the Questionnaire has no url (its canonical is how responses name it).";
        }
        if (q.Status != PublicationStatus.Active)
        {
            yield return "the Questionnaire's status is not active.";
        }
        var all = Flatten(q.Item).ToList();
        var linkIds = all.Select(i => i.LinkId).ToList();
        if (linkIds.Any(string.IsNullOrWhiteSpace))
        {
            yield return "an item has no linkId.";
        }
        foreach (var duplicate in linkIds.Where(l => !string.IsNullOrWhiteSpace(l)).GroupBy(l => l).Where(g => g.Count() > 1))
        {
            yield return $"linkId '{duplicate.Key}' is used more than once.";
        }
        var known = linkIds.OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var item in all)
        {
            foreach (var when in item.EnableWhen.Where(w => !known.Contains(w.Question ?? string.Empty)))
            {
                yield return $"item '{item.LinkId}' is enabled by '{when.Question}', which is not an item of this template.";
            }
        }
        foreach (var missing in EssentialLinkIds.Where(l => !known.Contains(l)))
        {
            yield return $"the template has no item '{missing}', which the operative note needs.";
        }
        foreach (var item in all.Where(i => i.GetExtension(Sdc.NoteSection) is not null
            && !Notes.TemplateStatements.IsSection(i.GetExtensionValue<Code>(Sdc.NoteSection)?.Value)))
        {
            yield return $"item '{item.LinkId}' names a note-section that is not a section of the C-CDA Operative Note.";
        }
        foreach (var problem in ExpressionProblems(q, known).Concat(ExtractionProblems(all)).Concat(Checks.TemplateConstraints.Inspect(q, known)))
        {
            yield return problem;
        }
    }

    /// <summary>Population expressions (variable, initialExpression, itemPopulationContext) that do not compile or name unknown linkIds.</summary>
    private static IEnumerable<string> ExpressionProblems(Questionnaire q, IReadOnlySet<string> linkIds)
    {
        var owners = new[] { (Where: "the template", Extensions: q.Extension) }
            .Concat(Flatten(q.Item).Select(i => (Where: $"item '{i.LinkId}'", Extensions: i.Extension)));
        foreach (var (where, extensions) in owners)
        {
            foreach (var e in extensions.Where(e => e.Url is Sdc.Variable or Sdc.InitialExpression or Sdc.ItemPopulationContext))
            {
                var what = e.Url == Sdc.Variable ? "variable" : e.Url == Sdc.InitialExpression ? "initialExpression" : "itemPopulationContext";
                if (Sdc.ExpressionOf(e) is not { } expression)
                {
                    yield return $"{where}: its {what} has no valueExpression.";
                    continue;
                }
                if (expression.Language == Sdc.FhirQueryLanguage)
                {
                    continue;
                }
                if (expression.Language != Sdc.FhirPathLanguage)
                {
                    yield return $"{where}: its {what} is in '{expression.Language}'; only text/fhirpath and application/x-fhir-query are evaluated.";
                    continue;
                }
                if (Sdc.CompileProblem(expression.Expression_) is { } problem)
                {
                    yield return $"{where}: its {what}: {problem}.";
                }
                foreach (var unknown in Sdc.LinkIdsIn(expression.Expression_).Where(l => !linkIds.Contains(l)))
                {
                    yield return $"{where}: its {what} names linkId '{unknown}', which is not an item of this template.";
                }
            }
        }
    }

    /// <summary>Extraction mappings (see <see cref="Extraction"/>) that name no element, or whose expression does not compile.</summary>
    private static IEnumerable<string> ExtractionProblems(IEnumerable<Questionnaire.ItemComponent> items)
    {
        foreach (var item in items)
        {
            if (item.Definition is { } definition && Extraction.PathOf(definition) is { } path && Extraction.PathProblem(path) is { } wrong)
            {
                yield return $"item '{item.LinkId}': its definition {definition} names no element ({wrong}).";
            }
            var expressions = item.GetExtensions(Sdc.ItemExtractionContext).Select(e => (What: "itemExtractionContext", Expression: e.Value as Expression))
                .Concat(item.GetExtensions(Sdc.DefinitionExtractValue).Select(e => (What: "definitionExtractValue", Expression: (Expression?)e.GetExtensionValue<Expression>("expression"))));
            foreach (var (what, expression) in expressions.Where(e => e.Expression?.Language == Sdc.FhirPathLanguage))
            {
                if (Sdc.CompileProblem(expression!.Expression_) is { } problem)
                {
                    yield return $"item '{item.LinkId}': its {what}: {problem}.";
                }
            }
            foreach (var extension in item.GetExtensions(Sdc.DefinitionExtractValue))
            {
                var target = extension.GetExtensionValue<Canonical>("definition")?.Value;
                if (Extraction.PathOf(target) is not { } element || Extraction.PathProblem(element) is not null)
                {
                    yield return $"item '{item.LinkId}': its definitionExtractValue names no element ('{target}').";
                }
            }
        }
    }

    /// <summary>Every item of a template, depth first.</summary>
    public static IEnumerable<Questionnaire.ItemComponent> Flatten(IEnumerable<Questionnaire.ItemComponent> items) =>
        items.SelectMany(i => new[] { i }.Concat(Flatten(i.Item)));
}

/// <summary>What a template picker shows.</summary>
public sealed record TemplateSummary(string? Id, string Url, string? Version, string Title);
