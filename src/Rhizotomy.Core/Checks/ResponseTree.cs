using System.Globalization;
using System.Text;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;
using Q = Hl7.Fhir.Model.Questionnaire;
using R = Hl7.Fhir.Model.QuestionnaireResponse;

namespace Rhizotomy.Core.Checks;

/// <summary>One answered (or, when <see cref="Item"/> is null, expected but absent) item, paired with its template item.</summary>
internal sealed class ResponseNode(Q.ItemComponent definition, R.ItemComponent? item, ResponseNode? parent, string expression, int index)
{
    public Q.ItemComponent Definition { get; } = definition;
    public R.ItemComponent? Item { get; } = item;
    public ResponseNode? Parent { get; } = parent;
    /// <summary>FHIRPath from the QuestionnaireResponse to this item.</summary>
    public string Expression { get; } = expression;
    /// <summary>Position among the repetitions of a repeating group (0-based).</summary>
    public int Index { get; } = index;
    public List<ResponseNode> Children { get; } = [];
    public bool Enabled { get; set; } = true;
    /// <summary>What is wrong with the answers, reported only if the item turns out to be enabled.</summary>
    public (OperationOutcome.IssueType Type, string Check, string Text)? Problem { get; set; }

    public string LinkId => Definition.LinkId ?? string.Empty;

    public IEnumerable<DataType> Answers => Item is null ? [] : Item.Answer.Select(a => a?.Value).OfType<DataType>();

    public bool HasAnswer => Answers.Any();

    public ResponseNode? Child(string linkId) => Children.FirstOrDefault(c => c.LinkId == linkId && c.Enabled);

    public bool? Bool => Answers.OfType<FhirBoolean>().FirstOrDefault()?.Value;
    public decimal? Decimal => Answers.OfType<FhirDecimal>().FirstOrDefault()?.Value;
    public int? Int => Answers.OfType<Integer>().FirstOrDefault()?.Value;
    public Coding? Coding => Answers.OfType<Coding>().FirstOrDefault();
    public IEnumerable<Coding> Codings => Answers.OfType<Coding>();
    /// <summary>A text answer, or the text of a free-text open-choice answer; blank counts as none.</summary>
    public string? Text => Answers.OfType<FhirString>().Select(s => s.Value).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
    public string? DateText => Answers.OfType<Date>().FirstOrDefault()?.Value;
    public string? DateTimeText => Answers.OfType<FhirDateTime>().FirstOrDefault()?.Value;

    /// <summary>How a surgeon recognises the group this item sits in: "Left greater occipital nerve", "Diagnostic nerve block 2".</summary>
    public string? GroupLabel
    {
        get
        {
            if (Definition.Type == Q.QuestionnaireItemType.Group)
            {
                var text = Definition.Text ?? LinkId;
                return Definition.Repeats == true ? $"{text} {Index + 1}" : text;
            }
            return Parent?.GroupLabel;
        }
    }
}

/// <summary>
/// A QuestionnaireResponse read against its template: structure checked (unknown items, wrong answer
/// types, values outside the lists and ranges, too many items), <c>enableWhen</c> evaluated, required
/// items found. Never throws on what a client sends: everything wrong becomes an issue.
/// </summary>
internal sealed class ResponseTree
{
    /// <summary>Far above any real note (about 150 items for a bilateral three-nerve case with a long work-up).</summary>
    public const int MaxItems = 2000;
    public const int MaxDepth = 8;
    public const int MaxAnswersPerItem = 50;
    /// <summary>Longest free text accepted in one answer (a long operative narrative is well below this).</summary>
    public const int MaxTextLength = 20_000;

    private readonly IssueList _issues;

    private ResponseTree(Q template, IssueList issues)
    {
        Template = template;
        _issues = issues;
    }

    public Q Template { get; }
    public List<ResponseNode> Roots { get; } = [];

    /// <summary>Reads the response; returns null (with the issue recorded) when it is too large or deep to read at all.</summary>
    public static ResponseTree? Build(Q template, QuestionnaireResponse response, IssueList issues)
    {
        if (!WithinLimits(response.Item, issues))
        {
            return null;
        }
        var tree = new ResponseTree(template, issues);
        tree.Attach(response.Item, template.Item, null, "QuestionnaireResponse");
        tree.WalkDefinitions(template.Item, null, "QuestionnaireResponse");
        return tree;
    }

    /// <summary>Enabled, present items with this linkId, anywhere.</summary>
    public IEnumerable<ResponseNode> All(string linkId) => Descendants(Roots).Where(n => n.LinkId == linkId && n.Enabled);

    public ResponseNode? First(string linkId) => All(linkId).FirstOrDefault();

    public static IEnumerable<ResponseNode> Descendants(IEnumerable<ResponseNode> nodes) =>
        nodes.SelectMany(n => new[] { n }.Concat(Descendants(n.Children)));

    /// <summary>
    /// The response as signing sees it: enabled items only (answers of disabled items dropped, as SDC asks), each
    /// paired with the node it came from so that a rule on an item can be evaluated on each of its instances.
    /// </summary>
    public (QuestionnaireResponse Response, List<(ResponseNode Node, R.ItemComponent Item)> Items) Effective()
    {
        var pairs = new List<(ResponseNode, R.ItemComponent)>();
        List<R.ItemComponent> Copy(IEnumerable<ResponseNode> nodes)
        {
            var result = new List<R.ItemComponent>();
            foreach (var node in nodes.Where(n => n.Enabled && n.Item is not null))
            {
                var item = new R.ItemComponent { LinkId = node.LinkId };
                item.Answer.AddRange(node.Item!.Answer.Where(a => a?.Value is not null).Select(a => new R.AnswerComponent { Value = (DataType)a.Value!.DeepCopy() }));
                item.Item.AddRange(Copy(node.Children));
                pairs.Add((node, item));
                result.Add(item);
            }
            return result;
        }
        var response = new QuestionnaireResponse { Questionnaire = Template.Url };
        response.Item.AddRange(Copy(Roots));
        return (response, pairs);
    }

    /// <summary>Expression of an item by its linkId path from the root (for items that may be absent).</summary>
    public static string PathOf(params string[] linkIds) =>
        "QuestionnaireResponse" + string.Concat(linkIds.Select(l => $".item.where(linkId='{Literal(l)}')"));

    /// <summary>A FHIRPath string literal body: quotes and backslashes escaped, control characters dropped, length capped.</summary>
    public static string Literal(string? text)
    {
        var sb = new StringBuilder();
        foreach (var c in (text ?? string.Empty).Take(64))
        {
            if (c is '\'' or '\\')
            {
                sb.Append('\\');
            }
            if (!char.IsControl(c))
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    private static bool WithinLimits(List<R.ItemComponent> roots, IssueList issues)
    {
        var count = 0;
        var stack = new Stack<(R.ItemComponent Item, int Depth)>(roots.Select(r => (r, 1)));
        while (stack.Count > 0)
        {
            var (item, depth) = stack.Pop();
            if (++count > MaxItems)
            {
                issues.Error(OperationOutcome.IssueType.TooCostly, "too-large", "QuestionnaireResponse",
                    $"This response has more than {MaxItems} items; an operative note never needs that many. Nothing was read.");
                return false;
            }
            if (depth > MaxDepth)
            {
                issues.Error(OperationOutcome.IssueType.TooCostly, "too-large", "QuestionnaireResponse",
                    $"This response nests items more than {MaxDepth} levels deep; the template has far fewer. Nothing was read.");
                return false;
            }
            foreach (var child in item.Item)
            {
                stack.Push((child, depth + 1));
            }
            foreach (var answer in item.Answer)
            {
                foreach (var child in answer.Item)
                {
                    stack.Push((child, depth + 1));
                }
            }
        }
        return true;
    }

    private void Attach(List<R.ItemComponent> items, List<Q.ItemComponent> definitions, ResponseNode? parent, string parentExpression)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item is null)
            {
                continue;
            }
            if (string.IsNullOrWhiteSpace(item.LinkId))
            {
                _issues.Error(OperationOutcome.IssueType.Structure, "unknown-item", $"{parentExpression}.item[{i}]",
                    "An item of this response has no linkId, so it cannot be matched to the template.");
                continue;
            }
            var definition = definitions.FirstOrDefault(d => d.LinkId == item.LinkId);
            var literal = Literal(item.LinkId);
            if (definition is null)
            {
                _issues.Error(OperationOutcome.IssueType.Structure, "unknown-item", $"{parentExpression}.item.where(linkId='{literal}')",
                    $"This response has an item '{literal}' that the template does not have here.");
                continue;
            }
            var index = seen.GetValueOrDefault(item.LinkId);
            seen[item.LinkId] = index + 1;
            var expression = $"{parentExpression}.item.where(linkId='{literal}')" + (definition.Repeats == true && definition.Type == Q.QuestionnaireItemType.Group ? $"[{index}]" : string.Empty);
            var node = new ResponseNode(definition, item, parent, expression, index);
            if (index > 0 && !(definition.Repeats == true && definition.Type == Q.QuestionnaireItemType.Group))
            {
                _issues.Error(OperationOutcome.IssueType.Structure, "repeated-item", expression,
                    $"{Describe(node)} appears more than once; the template allows it once.");
                continue;
            }
            (parent?.Children ?? Roots).Add(node);
            CheckAnswers(node);
            if (item.Item.Count > 0)
            {
                if (definition.Item.Count == 0)
                {
                    _issues.Error(OperationOutcome.IssueType.Structure, "unknown-item", expression,
                        $"{Describe(node)} has sub-items the template does not have.");
                }
                else
                {
                    Attach(item.Item, definition.Item, node, expression);
                }
            }
        }
    }

    private static void CheckAnswers(ResponseNode node)
    {
        var d = node.Definition;
        var answers = node.Item!.Answer;
        if (answers.Count == 0)
        {
            return;
        }
        if (d.Type is Q.QuestionnaireItemType.Group or Q.QuestionnaireItemType.Display)
        {
            node.Problem = (OperationOutcome.IssueType.Structure, "wrong-type", $"{Describe(node)} is a heading and cannot hold an answer.");
            return;
        }
        if (answers.Count > 1 && d.Repeats != true)
        {
            node.Problem = (OperationOutcome.IssueType.Structure, "repeated-item", $"{Describe(node)} has several answers; it takes one.");
            return;
        }
        if (answers.Count > MaxAnswersPerItem)
        {
            node.Problem = (OperationOutcome.IssueType.TooCostly, "too-large", $"{Describe(node)} has too many answers.");
            return;
        }
        foreach (var answer in answers)
        {
            if (answer?.Item.Count > 0)
            {
                node.Problem = (OperationOutcome.IssueType.Structure, "unknown-item", $"{Describe(node)} has nested answers the template does not have.");
                return;
            }
            var problem = answer?.Value is null ? "has an empty answer" : ValueProblem(d, answer.Value);
            if (problem is not null)
            {
                var outOfRange = problem.StartsWith("must be", StringComparison.Ordinal);
                node.Problem = (OperationOutcome.IssueType.Value, outOfRange ? "out-of-range" : "invalid-answer", $"{Describe(node)} {problem}.");
                return;
            }
        }
    }

    private static string? ValueProblem(Q.ItemComponent d, DataType value)
    {
        switch (d.Type)
        {
            case Q.QuestionnaireItemType.Boolean:
                return value is FhirBoolean { Value: not null } ? null : "must be yes or no";
            case Q.QuestionnaireItemType.Decimal:
                return value is FhirDecimal { Value: { } dec } ? Range(d, dec) : "must be a number";
            case Q.QuestionnaireItemType.Integer:
                return value is Integer { Value: { } n } ? Range(d, n) : "must be a whole number";
            case Q.QuestionnaireItemType.Date:
                return value is Date { Value: { } date } && Date.IsValidValue(date) ? null : "must be a date";
            case Q.QuestionnaireItemType.DateTime:
                return value is FhirDateTime { Value: { } dt } && FhirDateTime.IsValidValue(dt) ? null : "must be a date and time";
            case Q.QuestionnaireItemType.String:
            case Q.QuestionnaireItemType.Text:
                return value is FhirString s ? TextProblem(s.Value) : "must be text";
            case Q.QuestionnaireItemType.Choice:
            case Q.QuestionnaireItemType.OpenChoice:
                var open = d.Type == Q.QuestionnaireItemType.OpenChoice;
                if (value is Coding coding)
                {
                    return CodingProblem(d, coding, open);
                }
                if (value is FhirString text)
                {
                    var offered = d.AnswerOption.Select(o => o.Value).OfType<FhirString>().Select(o => o.Value).ToList();
                    return TextProblem(text.Value) ?? (open || offered.Contains(text.Value) ? null : "is not one of the answers offered");
                }
                return "must be one of the answers offered";
            default:
                // Types the operative-note templates do not use: accepted as sent, the composer ignores them.
                return null;
        }
    }

    private static string? TextProblem(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "has an empty answer";
        }
        if (text.Length > MaxTextLength)
        {
            return $"is longer than {MaxTextLength} characters";
        }
        // FHIR strings exclude control characters other than tab, carriage return and line feed.
        return text.Any(c => c < ' ' && c is not ('\t' or '\r' or '\n')) ? "contains characters that are not allowed in text" : null;
    }

    private static string? CodingProblem(Q.ItemComponent d, Coding coding, bool open)
    {
        if (string.IsNullOrEmpty(coding.Code) || string.IsNullOrEmpty(coding.System))
        {
            return "has a coded answer without a system and code";
        }
        if (coding.Code.Length > 200 || coding.System.Length > 500 || TextProblem(coding.Code) is not null || TextProblem(coding.System) is not null)
        {
            return "has a malformed code";
        }
        var allowed = TemplateAnswers.For(d.AnswerValueSet)
            ?? (d.AnswerOption.Count > 0 ? d.AnswerOption.Select(o => o.Value).OfType<Coding>().ToList() : null);
        if (allowed is null || allowed.Any(a => a.System == coding.System && a.Code == coding.Code))
        {
            return null;
        }
        // An open choice takes codes from elsewhere (a chart diagnosis coded in another system).
        return open ? null : "is not one of the answers offered";
    }

    private static string? Range(Q.ItemComponent d, decimal value)
    {
        var min = Bound(d, Known.Extensions.MinValue);
        var max = Bound(d, Known.Extensions.MaxValue);
        if ((min is { } lo && value < lo) || (max is { } hi && value > hi))
        {
            var unit = TemplateUnits.After(d);
            return $"must be between {Format(min)}{unit} and {Format(max)}{unit}";
        }
        return null;
    }

    private static string Format(decimal? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "?";

    private static decimal? Bound(Q.ItemComponent d, string url) => d.GetExtension(url)?.Value switch
    {
        FhirDecimal { Value: { } v } => v,
        Integer { Value: { } v } => v,
        _ => null,
    };

    /// <summary>Marks disabled items and records every enabled required item that has no answer.</summary>
    private void WalkDefinitions(List<Q.ItemComponent> definitions, ResponseNode? parent, string parentExpression)
    {
        foreach (var d in definitions)
        {
            var present = (parent?.Children ?? (parent is null ? Roots : [])).Where(n => n.LinkId == d.LinkId).ToList();
            var enabled = IsEnabled(d, parent);
            if (!enabled)
            {
                foreach (var node in present)
                {
                    Disable(node);
                }
                continue;
            }
            foreach (var node in present.Where(n => n.Problem is not null))
            {
                var (type, check, text) = node.Problem!.Value;
                _issues.Error(type, check, node.Expression, text);
            }
            if (d.Type == Q.QuestionnaireItemType.Group)
            {
                if (present.Count == 0)
                {
                    if (d.Required != true)
                    {
                        continue;
                    }
                    var expression = $"{parentExpression}.item.where(linkId='{Literal(d.LinkId)}')";
                    var virtualNode = new ResponseNode(d, null, parent, expression, 0);
                    var before = _issues.Count;
                    if (d.Repeats != true)
                    {
                        WalkDefinitions(d.Item, virtualNode, expression);
                    }
                    if (_issues.Count == before)
                    {
                        _issues.Error(OperationOutcome.IssueType.Required, "required", expression, Missing(virtualNode));
                    }
                    continue;
                }
                foreach (var node in present)
                {
                    WalkDefinitions(d.Item, node, node.Expression);
                }
            }
            else if (d.Required == true && !present.Any(n => n.HasAnswer) && !present.Any(n => n.Problem is not null))
            {
                var node = present.FirstOrDefault()
                    ?? new ResponseNode(d, null, parent, $"{parentExpression}.item.where(linkId='{Literal(d.LinkId)}')", 0);
                _issues.Error(OperationOutcome.IssueType.Required, "required", node.Expression, Missing(node));
            }
        }
    }

    private static void Disable(ResponseNode node)
    {
        node.Enabled = false;
        foreach (var child in node.Children)
        {
            Disable(child);
        }
    }

    private bool IsEnabled(Q.ItemComponent d, ResponseNode? context) =>
        EnableWhen.Enabled(d, question => AnswersInContext(question, context));

    /// <summary>Answers to a question, looked for first within the enclosing group (so a repeating group sees its own), then further out.</summary>
    private List<DataType> AnswersInContext(string linkId, ResponseNode? context)
    {
        for (var scope = context; ; scope = scope.Parent)
        {
            var nodes = scope is null ? Roots : scope.Children;
            var found = Descendants(nodes).Where(n => n.LinkId == linkId && n.Enabled).ToList();
            if (found.Count > 0 || scope is null)
            {
                return [.. found.SelectMany(n => n.Answers)];
            }
        }
    }

    /// <summary>"Left greater occipital nerve: segment length is missing."</summary>
    internal static string Missing(ResponseNode node)
    {
        if (node.LinkId == LinkIds.Complication)
        {
            return "Complications: record the complications, or state explicitly that there were none.";
        }
        return Describe(node) + " is missing.";
    }

    /// <summary>"Left greater occipital nerve: segment length", "Estimated blood loss".</summary>
    internal static string Describe(ResponseNode node)
    {
        var text = string.IsNullOrWhiteSpace(node.Definition.Text) ? Literal(node.LinkId) : node.Definition.Text;
        var label = node.Parent?.GroupLabel;
        if (node.Definition.Type == Q.QuestionnaireItemType.Group && node.Definition.Repeats == true && node.Item is not null)
        {
            text = node.GroupLabel ?? text;
        }
        return label is null || label == text ? text : $"{label}: {LowerFirst(text)}";
    }

    private static string LowerFirst(string text) =>
        text.Length > 1 && char.IsUpper(text[0]) && !char.IsUpper(text[1]) ? char.ToLowerInvariant(text[0]) + text[1..] : text;
}
