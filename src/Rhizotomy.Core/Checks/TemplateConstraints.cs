using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;

namespace Rhizotomy.Core.Checks;

/// <summary>One <c>questionnaire-constraint</c> of a template: on the template (evaluated on the response) or on an item (evaluated on each answer group of that item).</summary>
/// <param name="Locations">FHIRPath from the focus to the item(s) the rule points at.</param>
public sealed record TemplateConstraint(string Key, bool Error, string Expression, string Human, IReadOnlyList<string> Locations, string? OnLinkId);

/// <summary>
/// Checks as data: the template's <c>questionnaire-constraint</c> rules (FHIRPath, severity, a human message,
/// the items pointed at), evaluated with Firely's FHIRPath on the response as signing would see it (answers of
/// disabled items removed), with <c>%evidence</c> (the chart's case evidence), <c>%questionnaire</c> and the template's root
/// FHIRPath <c>variable</c>s (evaluated on that response).
/// Some rules a template must never lose (<see cref="EssentialRules"/>); a template without one, or whose rule
/// names a linkId it does not have, is refused when it is loaded.
/// </summary>
public static class TemplateConstraints
{
    /// <summary>The moment of signing, as <c>%signed</c> in a rule.</summary>
    public const string SignedVariable = "signed";

    /// <summary>The key of the rule that marks a note signed long after the operation as a late entry.</summary>
    public const string LateEntryRule = "late-entry";

    /// <summary>
    /// Rule keys every operative-note template must carry: laterality (against the chart's diagnoses, and against the note's own
    /// pre- and post-operative diagnoses), a same-side diagnostic block before the operation (or a stated reason), consent,
    /// complications stated, the C-CDA required sections.
    /// </summary>
    public static readonly IReadOnlyList<string> EssentialRules =
        ["laterality-unconfirmed", "laterality-diagnosis-side", "block-before-operation", "consent-not-obtained", "complications-missing", "complications-contradictory", "ccda-required-sections"];

    /// <summary>Every constraint of the template, root first, then items depth first.</summary>
    public static IReadOnlyList<TemplateConstraint> Of(Questionnaire template)
    {
        var result = new List<TemplateConstraint>();
        result.AddRange(Read(template.Extension, null));
        foreach (var item in TemplateCatalog.Flatten(template.Item))
        {
            result.AddRange(Read(item.Extension, item.LinkId));
        }
        return result;
    }

    private static IEnumerable<TemplateConstraint> Read(IEnumerable<Extension> extensions, string? linkId)
    {
        foreach (var e in extensions.Where(e => e.Url == Sdc.Constraint))
        {
            string? Part(string url) => e.GetExtension(url)?.Value switch
            {
                PrimitiveType p => p.ToString(),
                _ => null,
            };
            yield return new TemplateConstraint(
                Part("key") ?? string.Empty,
                Part("severity") != "warning",
                Part("expression") ?? string.Empty,
                Part("human") ?? Part("key") ?? "A rule of this template is not met.",
                [.. e.Extension.Where(x => x.Url == "location").Select(x => x.Value?.ToString()).OfType<string>()],
                linkId);
        }
    }

    /// <summary>Why the template's rules cannot be used; empty when they can.</summary>
    public static IEnumerable<string> Inspect(Questionnaire template, IReadOnlySet<string> linkIds)
    {
        var constraints = Of(template);
        foreach (var missing in EssentialRules.Where(r => constraints.All(c => c.Key != r)))
        {
            yield return $"it lacks the rule '{missing}' (questionnaire-constraint key), which every operative note must keep.";
        }
        foreach (var c in constraints)
        {
            var where = c.OnLinkId is null ? $"rule '{c.Key}'" : $"rule '{c.Key}' on item '{c.OnLinkId}'";
            if (string.IsNullOrWhiteSpace(c.Key))
            {
                yield return $"a questionnaire-constraint{(c.OnLinkId is null ? "" : $" on item '{c.OnLinkId}'")} has no key.";
            }
            if (Sdc.CompileProblem(c.Expression) is { } problem)
            {
                yield return $"{where}: {problem}.";
            }
            foreach (var location in c.Locations)
            {
                if (Sdc.CompileProblem(location) is { } locationProblem)
                {
                    yield return $"{where}: its location '{location}': {locationProblem}.";
                }
            }
            foreach (var unknown in c.Locations.Append(c.Expression).SelectMany(Sdc.LinkIdsIn).Distinct().Where(l => !linkIds.Contains(l)))
            {
                yield return $"{where} points at linkId '{unknown}', which is not an item of this template.";
            }
        }
    }

    /// <summary>
    /// Evaluates every rule on the response as read; issues go to <paramref name="issues"/>. Rules see <c>%evidence</c>,
    /// <c>%questionnaire</c>, <c>%signed</c> (the moment of signing, a dateTime) and the template's root
    /// <c>variable</c> extensions in FHIRPath (a site's thresholds and lists: <c>%maxOperationDuration</c>).
    /// </summary>
    internal static void Check(ResponseTree tree, CaseEvidence evidence, IssueList issues, DateTimeOffset signedAt)
    {
        var (effective, nodes) = tree.Effective();
        var variables = new Dictionary<string, IReadOnlyList<Base>>(StringComparer.Ordinal)
        {
            [Sdc.EvidenceVariable] = [EvidenceParameters.From(evidence)],
            ["questionnaire"] = [tree.Template],
            [SignedVariable] = [new FhirDateTime(signedAt)],
        };
        // The template's root FHIRPath variables, evaluated on the response as SDC does while a form is filled
        // (a site's threshold, the operation's date, the diagnoses as entered): every rule sees them as %name.
        foreach (var variable in tree.Template.Extension.Where(e => e.Url == Sdc.Variable).Select(Sdc.ExpressionOf).OfType<Expression>())
        {
            if (variable is not { Name: { Length: > 0 } name, Expression_: { Length: > 0 } expression } || variable.Language != Sdc.FhirPathLanguage)
            {
                continue;
            }
            try
            {
                variables[name] = Sdc.Evaluate(effective, expression, variables);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                variables[name] = [];
            }
        }
        foreach (var c in Of(tree.Template))
        {
            if (c.OnLinkId is null)
            {
                Apply(c, effective, "QuestionnaireResponse", variables, issues);
                continue;
            }
            foreach (var (node, item) in nodes.Where(n => n.Node.LinkId == c.OnLinkId))
            {
                Apply(c, item, node.Expression, variables, issues);
            }
        }
    }

    private static void Apply(TemplateConstraint c, Base focus, string path, IReadOnlyDictionary<string, IReadOnlyList<Base>> variables, IssueList issues)
    {
        bool? holds;
        try
        {
            holds = Sdc.Holds(focus, c.Expression, variables);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            holds = false;
        }
        if (holds != false)
        {
            return;
        }
        var locations = c.Locations.Count == 0 ? [path] : c.Locations.Select(l => path + "." + l).ToList();
        if (!c.Error)
        {
            issues.Warning(c.Key, locations[0], c.Human);
            return;
        }
        var type = c.Key.EndsWith("-missing", StringComparison.Ordinal) ? OperationOutcome.IssueType.Required : OperationOutcome.IssueType.BusinessRule;
        // A rule over several items adds nothing where one of them already has its error; a rule on one item
        // says more than the generic "missing" found there first.
        if (locations.Count > 1 && locations.Any(issues.HasErrorAt))
        {
            return;
        }
        issues.Error(type, c.Key, locations[0], c.Human);
    }
}
