using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.App.Security;

/// <summary>
/// What a QuestionnaireResponse sent to the API may carry (<c>POST /api/notes</c>, <c>$preview</c>, <c>$amend</c>,
/// <c>PUT /api/drafts</c>): the template (<c>questionnaire</c>), <c>status</c>, the note id (<c>identifier</c>),
/// <c>authored</c>, the answers (<c>item</c>: <c>linkId</c>, <c>text</c>, <c>answer.value[x]</c>, nested <c>item</c>,
/// and the prefill-source extension the app's own prefill puts there), and <c>subject</c>, <c>author</c>,
/// <c>encounter</c> (which the launch decides: subject and author are replaced, an encounter is checked).
/// Anything else (<c>source</c>, <c>basedOn</c>, <c>partOf</c>, <c>contained</c>, <c>extension</c>, <c>text</c>,
/// <c>meta</c>, <c>implicitRules</c>, ...) is refused: what is filed comes only from what the app checked.
/// </summary>
public static class ResponseAllowList
{
    private static readonly HashSet<string> Top = new(StringComparer.Ordinal)
    {
        "identifier", "questionnaire", "status", "subject", "encounter", "authored", "author", "item",
    };
    private static readonly HashSet<string> Item = new(StringComparer.Ordinal) { "linkId", "text", "answer", "item", "extension" };
    private static readonly HashSet<string> Answer = new(StringComparer.Ordinal) { "value", "item", "extension" };
    // A reference names its target and may say it in words; nothing else (no identifier, no extension).
    private static readonly HashSet<string> Reference = new(StringComparer.Ordinal) { "reference", "display" };
    private static readonly HashSet<string> Identifier = new(StringComparer.Ordinal) { "system", "value" };

    /// <summary>The refusal (422) naming every element outside the list, or null when the response keeps to it.</summary>
    public static OperationOutcome? Check(QuestionnaireResponse response)
    {
        var refused = new List<string>();
        Walk(response, "QuestionnaireResponse", Top, refused);
        foreach (var (name, reference) in new[] { ("subject", response.Subject), ("author", response.Author), ("encounter", response.Encounter) })
        {
            if (reference is not null)
                Walk(reference, "QuestionnaireResponse." + name, Reference, refused);
        }
        if (response.Identifier is not null)
            Walk(response.Identifier, "QuestionnaireResponse.identifier", Identifier, refused);
        Items(response.Item, "QuestionnaireResponse.item", refused);
        if (refused.Count == 0)
            return null;
        return new OperationOutcome
        {
            Issue = [.. refused.Distinct(StringComparer.Ordinal).Take(20).Select(path => new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Error,
                Code = OperationOutcome.IssueType.NotSupported,
                Diagnostics = $"{path} is not accepted: the app files only the template, status, note id, answers, and the patient, author and encounter of the launch.",
                Expression = [path],
            })],
        };
    }

    private static void Items(IEnumerable<QuestionnaireResponse.ItemComponent> items, string path, List<string> refused)
    {
        foreach (var item in items)
        {
            Walk(item, path, Item, refused);
            Extensions(item.Extension, path, refused);
            foreach (var answer in item.Answer)
            {
                Walk(answer, path + ".answer", Answer, refused);
                Extensions(answer.Extension, path + ".answer", refused);
                if (answer.Value is { } value && value is not PrimitiveType && value is not Coding && value is not Quantity && value is not ResourceReference)
                    refused.Add(path + ".answer.value");
                if (answer.Value is ResourceReference target)
                    Walk(target, path + ".answer.value", Reference, refused);
                else if (answer.Value is Element element && Nested(element))
                    refused.Add(path + ".answer.value.extension");
                Items(answer.Item, path + ".answer.item", refused);
            }
            Items(item.Item, path + ".item", refused);
        }
    }

    // Only the app's own prefill-source extension (a reference to the chart entry the answer came from).
    private static void Extensions(IEnumerable<Extension> extensions, string path, List<string> refused)
    {
        foreach (var extension in extensions)
        {
            if (extension.Url != Known.Extensions.PrefillSource || extension.Value is not ResourceReference reference || extension.Extension.Count > 0)
                refused.Add(path + ".extension");
            else
                Walk(reference, path + ".extension.value", Reference, refused);
        }
    }

    private static bool Nested(Element element) => element.Extension.Count > 0 || element.ElementId is not null;

    private static void Walk(Base node, string path, HashSet<string> allowed, List<string> refused)
    {
        foreach (var (name, _) in node.EnumerateElements())
        {
            if (!allowed.Contains(name))
                refused.Add(path + "." + name);
        }
    }
}
