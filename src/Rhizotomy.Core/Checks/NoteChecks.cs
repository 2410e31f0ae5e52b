using System.Globalization;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;

namespace Rhizotomy.Core.Checks;

/// <summary>
/// The checks before signing: a completed template (QuestionnaireResponse) against its Questionnaire and
/// the chart's <see cref="CaseEvidence"/>. The result is an OperationOutcome: errors stop signing,
/// warnings are shown and allowed. Each issue points at the item with a FHIRPath <c>expression</c>
/// and says what is wrong in words a surgeon reads without help; <c>details.coding</c> carries a stable
/// check key (system <see cref="Known.NoteCheckSystem"/>).
/// </summary>
public static partial class NoteChecks
{
    /// <summary>Runs every check, as if signing at <paramref name="signedAt"/> (now when not given). Never throws for anything a client can send.</summary>
    public static OperationOutcome Check(Questionnaire template, QuestionnaireResponse response, CaseEvidence evidence, DateTimeOffset? signedAt = null) =>
        Run(template, response, evidence, signedAt).Issues.ToOutcome();

    internal static (ResponseTree? Tree, IssueList Issues) Run(Questionnaire template, QuestionnaireResponse response, CaseEvidence evidence, DateTimeOffset? signedAt = null)
    {
        var issues = new IssueList();
        try
        {
            if (TemplateCatalog.Inspect(template).FirstOrDefault() is { } unusable)
            {
                // A template handed in directly rather than through the catalog gets the same scrutiny.
                issues.Error(OperationOutcome.IssueType.NotSupported, "template-unusable", "Questionnaire",
                    $"The template cannot be used for an operative note: {unusable}");
                return (null, issues);
            }
            if (!SameTemplate(template, response, issues))
            {
                return (null, issues);
            }
            var tree = ResponseTree.Build(template, response, issues);
            if (tree is null)
            {
                return (null, issues);
            }
            var treated = TreatedNerves(tree).ToList();
            if (treated.Count == 0)
            {
                issues.Error(OperationOutcome.IssueType.Required, "no-nerve-treated", ResponseTree.PathOf(LinkIds.Nerves),
                    "No nerve is marked as treated. Tick each nerve and side that was operated on.");
            }
            // Technique details: the template's required items behind their enableWhen (checked with the structure above).
            // Consent, complications, laterality, the C-CDA sections and any site rule: the template's own constraints.
            TemplateConstraints.Check(tree, evidence, issues, signedAt ?? DateTimeOffset.UtcNow);
            Times(tree, issues);
            Evidence(tree, evidence, issues);
            return (tree, issues);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Defence in depth: the checks are written not to throw. Say nothing of the exception's text,
            // which may quote the response.
            issues.Error(OperationOutcome.IssueType.Exception, "unexpected-error", "QuestionnaireResponse",
                "This response could not be checked. Please review it and try again; if it keeps happening, report it.");
            return (null, issues);
        }
    }

    private static bool SameTemplate(Questionnaire template, QuestionnaireResponse response, IssueList issues)
    {
        if (string.IsNullOrWhiteSpace(response.Questionnaire))
        {
            issues.Error(OperationOutcome.IssueType.Required, "unknown-template", "QuestionnaireResponse.questionnaire",
                "This response does not say which template it answers.");
            return false;
        }
        var (url, version) = TemplateCatalog.SplitCanonical(response.Questionnaire);
        if (url != template.Url)
        {
            issues.Error(OperationOutcome.IssueType.NotSupported, "unknown-template", "QuestionnaireResponse.questionnaire",
                "This response answers a different template from the one it is being checked against.");
            return false;
        }
        if (version is not null && template.Version is not null && version != template.Version)
        {
            issues.Error(OperationOutcome.IssueType.NotSupported, "unknown-template", "QuestionnaireResponse.questionnaire",
                $"This response was written for version {ResponseTree.Literal(version)} of the template; version {template.Version} is loaded.");
            return false;
        }
        return true;
    }

    internal static IEnumerable<(NerveSide Ids, ResponseNode Group)> TreatedNerves(ResponseTree tree)
    {
        foreach (var ids in NerveSides.Of(tree.Template))
        {
            var group = tree.First(ids.Group);
            if (group?.Child(ids.Treated)?.Bool == true)
            {
                yield return (ids, group);
            }
        }
    }

    private static void Times(ResponseTree tree, IssueList issues)
    {
        var start = TimeOf(tree.First(LinkIds.PerformedStart), "start", issues);
        var end = TimeOf(tree.First(LinkIds.PerformedEnd), "end", issues);
        if (start is not null && end is not null && end < start)
        {
            issues.Error(OperationOutcome.IssueType.BusinessRule, "end-before-start", tree.First(LinkIds.PerformedEnd)!.Expression,
                "Time of operation: the end is before the start.");
        }
    }

    private static DateTimeOffset? TimeOf(ResponseNode? node, string which, IssueList issues)
    {
        if (node is null || node.DateTimeText is null)
        {
            // Required in our templates already; said again for a site template that forgot to require it.
            var expression = node?.Expression ?? ResponseTree.PathOf(LinkIds.Performed, which == "start" ? LinkIds.PerformedStart : LinkIds.PerformedEnd);
            if (!issues.HasErrorAt(expression))
            {
                issues.Error(OperationOutcome.IssueType.Required, "required", expression, $"Time of operation: {which} is missing.");
            }
            return null;
        }
        var text = node.DateTimeText;
        if (issues.HasErrorAt(node.Expression))
        {
            return null;
        }
        var time = ParseInstant(text);
        if (time is null)
        {
            issues.Error(OperationOutcome.IssueType.Value, "time-incomplete", node.Expression,
                $"Time of operation: the {which} needs a date, a time of day and a time zone.");
        }
        return time;
    }

    /// <summary>A FHIR dateTime with a time of day and a zone, as an instant; null for a partial date.</summary>
    internal static DateTimeOffset? ParseInstant(string? text) =>
        text is not null && FullDateTime().IsMatch(text)
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            ? value
            : null;

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$", RegexOptions.None, 100)]
    private static partial Regex FullDateTime();

    private static void Evidence(ResponseTree tree, CaseEvidence evidence, IssueList issues)
    {
        // A same-side diagnostic block before the operation (or a stated reason) is the template's rule 'block-before-operation'.
        var failedTherapy = (evidence.Therapies ?? []).Any(t => t?.Failed == true)
            || tree.All(LinkIds.Therapy).Any(t => t.Child(LinkIds.TherapyFailed)?.Bool == true);
        if (!failedTherapy)
        {
            issues.Warning("no-failed-conservative-treatment", ResponseTree.PathOf(LinkIds.Indication, LinkIds.Therapy),
                "Indication: no conservative treatment (medication, physical therapy) is documented as having failed.");
        }
        var imaging = (evidence.Imaging ?? []).Any(i => i is not null)
            || tree.All(LinkIds.Imaging).Any(i => i.Child(LinkIds.ImagingText)?.Text is not null);
        if (!imaging)
        {
            issues.Warning("no-imaging", ResponseTree.PathOf(LinkIds.Indication, LinkIds.Imaging),
                "Indication: no imaging is documented in the work-up.");
        }
    }
}
