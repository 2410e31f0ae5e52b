using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Checks;

/// <summary>Collects check results as OperationOutcome issues, at most one error per item (the first found says it best).</summary>
internal sealed class IssueList
{
    private readonly List<OperationOutcome.IssueComponent> _issues = [];
    private readonly HashSet<string> _errorExpressions = new(StringComparer.Ordinal);

    public int Count => _issues.Count;

    public bool HasErrors => _errorExpressions.Count > 0;

    public bool HasErrorAt(string expression) => _errorExpressions.Contains(expression);

    /// <summary>True when the check with this key found something (error or warning).</summary>
    public bool Has(string check) => _issues.Any(i => i.Details?.Coding.Any(c => c.Code == check) == true);

    public void Error(OperationOutcome.IssueType type, string check, string expression, string text)
    {
        if (_errorExpressions.Add(expression))
        {
            _issues.Add(Issue(OperationOutcome.IssueSeverity.Error, type, check, expression, text));
            return;
        }
        // A specific check ("no nerve treated") says more than the generic "required" found first at the same item.
        var generic = _issues.FindIndex(i => i.Severity == OperationOutcome.IssueSeverity.Error
            && i.Expression.FirstOrDefault() == expression && i.Details?.Coding.FirstOrDefault()?.Code == GenericRequired);
        if (generic >= 0 && check != GenericRequired)
        {
            _issues[generic] = Issue(OperationOutcome.IssueSeverity.Error, type, check, expression, text);
        }
    }

    /// <summary>Key of the template-driven "required item missing" check.</summary>
    public const string GenericRequired = "required";

    public void Warning(string check, string expression, string text) =>
        _issues.Add(Issue(OperationOutcome.IssueSeverity.Warning, OperationOutcome.IssueType.Incomplete, check, expression, text));

    /// <summary>The outcome; R4 wants at least one issue, so a clean result says so in an information issue.</summary>
    public OperationOutcome ToOutcome()
    {
        var outcome = new OperationOutcome();
        outcome.Issue.AddRange(_issues.Select(i => (OperationOutcome.IssueComponent)i.DeepCopy()));
        if (outcome.Issue.Count == 0)
        {
            outcome.Issue.Add(new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Information,
                Code = OperationOutcome.IssueType.Informational,
                Details = new CodeableConcept { Coding = [new Coding(Known.NoteCheckSystem, "all-checks-passed")], Text = "All checks passed: the note can be signed." },
            });
        }
        return outcome;
    }

    private static OperationOutcome.IssueComponent Issue(
        OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType type, string check, string expression, string text) => new()
        {
            Severity = severity,
            Code = type,
            Details = new CodeableConcept { Coding = [new Coding(Known.NoteCheckSystem, check)], Text = text },
            Expression = [expression],
        };
}
