using System.Globalization;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Prefill;
using Rhizotomy.Core.Templates;
using Q = Hl7.Fhir.Model.Questionnaire;
using R = Hl7.Fhir.Model.QuestionnaireResponse;

namespace Rhizotomy.App.Form;

/// <summary>
/// Turns the typed form into the QuestionnaireResponse the checks (and signing) take: answers of items whose
/// <c>enableWhen</c> is not met are left out, values that are not what the item takes become messages on
/// their field, and a prefilled answer keeps its chart source while it is unchanged.
/// </summary>
public sealed class ResponseBuilder
{
    private readonly Questionnaire _template;
    private readonly FormState _state;
    private readonly Dictionary<string, int> _repeatDepth = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Q.ItemComponent> _definitions = new(StringComparer.Ordinal);
    // enableWhen chains are short; a template whose conditions loop is cut off here rather than overflowing.
    private const int MaxEnableDepth = 16;

    public ResponseBuilder(Questionnaire template, FormState state)
    {
        _template = template;
        _state = state;
        void Depths(IEnumerable<Q.ItemComponent> items, int depth)
        {
            foreach (var i in items)
            {
                _repeatDepth[i.LinkId ?? ""] = depth;
                _definitions.TryAdd(i.LinkId ?? "", i);
                Depths(i.Item, depth + (i.Type == Q.QuestionnaireItemType.Group && i.Repeats == true ? 1 : 0));
            }
        }
        Depths(template.Item, 0);
    }

    /// <summary>Field key → message, for values the form could not take as typed.</summary>
    public Dictionary<string, string> Problems { get; } = new(StringComparer.Ordinal);

    public QuestionnaireResponse Build(LaunchContext launch, string? noteId = null)
    {
        var response = new QuestionnaireResponse
        {
            Questionnaire = _template.Version is null ? _template.Url : $"{_template.Url}|{_template.Version}",
            Status = QuestionnaireResponse.QuestionnaireResponseStatus.InProgress,
            Subject = new ResourceReference(launch.Patient.Reference) { Display = launch.Patient.Display },
            Encounter = launch.Encounter is null ? null : new ResourceReference(launch.Encounter.Reference) { Display = launch.Encounter.Display },
            Author = new ResourceReference(launch.Surgeon.Reference) { Display = launch.Surgeon.Display },
            Authored = launch.Authored.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
        };
        if (noteId is not null)
            response.Identifier = new Identifier(Known.NoteIdentifierSystem, noteId);
        response.Item.AddRange(Items(_template.Item, ""));
        return response;
    }

    /// <summary>How many instances of a repeating group hold something (the form shows one more, empty).</summary>
    public int InstancesWithValues(Q.ItemComponent group, string suffix)
    {
        var last = -1;
        for (var i = 0; i < FormState.MaxRepeats; i++)
        {
            if (HasValues(group.Item, suffix + "." + i.ToString(CultureInfo.InvariantCulture)))
                last = i;
        }
        return last + 1;
    }

    private bool HasValues(IEnumerable<Q.ItemComponent> items, string suffix) =>
        items.Any(d => d.Type == Q.QuestionnaireItemType.Group
            ? (d.Repeats == true ? InstancesWithValues(d, suffix) > 0 : HasValues(d.Item, suffix))
            : _state.HasAny(d.LinkId + suffix) || _state.HasAny(d.LinkId + suffix + FormState.Other));

    /// <summary>Whether an item's <c>enableWhen</c> holds for what is on the form now (the one semantics of <see cref="EnableWhen"/>).</summary>
    public bool Enabled(Q.ItemComponent item, string suffix) => Enabled(item, suffix, 0);

    private bool Enabled(Q.ItemComponent item, string suffix, int depth) =>
        EnableWhen.Enabled(item, question => AnswersOf(question, suffix, depth + 1));

    /// <summary>
    /// Every item behind an <c>enableWhen</c>, by field key (each instance of a repeating group, as many as the form can
    /// hold), and whether it is enabled by what is on the form now: what the page shows and hides (<c>POST .../note/enabled</c>).
    /// </summary>
    public Dictionary<string, bool> EnabledItems()
    {
        var result = new Dictionary<string, bool>(StringComparer.Ordinal);
        void Walk(IEnumerable<Q.ItemComponent> items, string suffix)
        {
            foreach (var d in items)
            {
                if (d.EnableWhen.Count > 0)
                    result[d.LinkId + suffix] = Enabled(d, suffix);
                if (d.Type == Q.QuestionnaireItemType.Group && d.Repeats == true)
                {
                    for (var i = 0; i < FormState.MaxRepeats; i++)
                        Walk(d.Item, suffix + "." + i.ToString(CultureInfo.InvariantCulture));
                }
                else
                {
                    Walk(d.Item, suffix);
                }
            }
        }
        Walk(_template.Item, "");
        return result;
    }

    /// <summary>The typed answers to a question, as the response will hold them: none when the question is itself disabled.</summary>
    private List<DataType> AnswersOf(string question, string suffix, int depth)
    {
        if (depth > MaxEnableDepth || !_definitions.TryGetValue(question, out var d) || !Enabled(d, suffix, depth))
            return [];
        var key = QuestionKey(question, suffix);
        var answers = _state.Values(key).Select(v => v.Trim()).Where(v => v.Length > 0)
            .Select(v => Convert(d, v, out _)).OfType<DataType>().ToList();
        var other = _state.Value(key + FormState.Other).Trim();
        if (other.Length > 0)
            answers.Add(new FhirString(other));
        return answers;
    }

    /// <summary>The field key of the question an enableWhen names, seen from an item at <paramref name="suffix"/>.</summary>
    public string QuestionKey(string question, string suffix)
    {
        var depth = _repeatDepth.GetValueOrDefault(question);
        var parts = suffix.Split('.', StringSplitOptions.RemoveEmptyEntries).Take(depth);
        return question + string.Concat(parts.Select(p => "." + p));
    }

    private List<R.ItemComponent> Items(IEnumerable<Q.ItemComponent> definitions, string suffix)
    {
        var result = new List<R.ItemComponent>();
        foreach (var d in definitions)
        {
            if (!Enabled(d, suffix))
                continue;
            if (d.Type == Q.QuestionnaireItemType.Group)
            {
                if (d.Repeats == true)
                {
                    var count = InstancesWithValues(d, suffix);
                    for (var i = 0; i < count; i++)
                    {
                        var children = Items(d.Item, suffix + "." + i.ToString(CultureInfo.InvariantCulture));
                        if (children.Count > 0)
                            result.Add(Group(d.LinkId!, children));
                    }
                }
                else
                {
                    var children = Items(d.Item, suffix);
                    if (children.Count > 0)
                        result.Add(Group(d.LinkId!, children));
                }
                continue;
            }
            if (Answers(d, d.LinkId + suffix) is { } item)
                result.Add(item);
        }
        return result;
    }

    private static R.ItemComponent Group(string linkId, List<R.ItemComponent> children)
    {
        var group = new R.ItemComponent { LinkId = linkId };
        // A repeating group from the chart keeps its source while any of its answers does.
        if (children.SelectMany(c => c.Extension).FirstOrDefault(e => e.Url == Known.Extensions.PrefillSource) is { } source)
            group.Extension.Add((Extension)source.DeepCopy());
        group.Item.AddRange(children);
        return group;
    }

    private R.ItemComponent? Answers(Q.ItemComponent d, string key)
    {
        var item = new R.ItemComponent { LinkId = d.LinkId };
        var values = _state.Values(key).Select(v => v.Trim()).Where(v => v.Length > 0).ToList();
        if (d.Repeats != true && values.Count > 1)
            values = values.Take(1).ToList();
        foreach (var value in values)
        {
            if (Convert(d, value, out var problem) is { } converted)
                item.Answer.Add(new R.AnswerComponent { Value = converted });
            else if (problem is not null)
                Problems[key] = problem;
        }
        var other = _state.Value(key + FormState.Other).Trim();
        if (other.Length > 0 && (d.Repeats == true || item.Answer.Count == 0))
            item.Answer.Add(new R.AnswerComponent { Value = new FhirString(other) });
        if (item.Answer.Count == 0)
            return null;
        var source = _state.Value(key + FormState.Source);
        var current = values.FirstOrDefault() ?? other;
        if (source.Length > 0 && current == _state.Value(key + FormState.Was))
            item.Extension.Add(new Extension(Known.Extensions.PrefillSource, new ResourceReference(source)));
        return item;
    }

    private DataType? Convert(Q.ItemComponent d, string value, out string? problem)
    {
        problem = null;
        var label = d.Text ?? d.LinkId;
        switch (d.Type)
        {
            case Q.QuestionnaireItemType.Boolean:
                return value switch { "true" => new FhirBoolean(true), "false" => new FhirBoolean(false), _ => null };
            case Q.QuestionnaireItemType.Decimal:
                if (decimal.TryParse(value.Replace(',', '.'), NumberStyles.Number, CultureInfo.InvariantCulture, out var dec))
                    return new FhirDecimal(dec);
                problem = $"{label}: \u201c{Short(value)}\u201d is not a number. Enter digits, like 12 or 12.5.";
                return null;
            case Q.QuestionnaireItemType.Integer:
                if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
                    return new Integer(n);
                problem = $"{label}: \u201c{Short(value)}\u201d is not a whole number.";
                return null;
            case Q.QuestionnaireItemType.Date:
                if (Date.IsValidValue(value))
                    return new Date(value);
                problem = $"{label}: \u201c{Short(value)}\u201d is not a date (YYYY-MM-DD).";
                return null;
            case Q.QuestionnaireItemType.DateTime:
                var full = value.Length == 16 ? value + ":00" + _state.TimeZone : value;
                if (FhirDateTime.IsValidValue(full))
                    return new FhirDateTime(full);
                problem = $"{label}: \u201c{Short(value)}\u201d is not a date and time.";
                return null;
            case Q.QuestionnaireItemType.Choice or Q.QuestionnaireItemType.OpenChoice when FormOptions.IsCoded(d):
                var parts = value.Split('|', 3);
                if (parts.Length >= 2 && parts[0].Length > 0 && parts[1].Length > 0)
                    return new Coding(parts[0], parts[1], parts.Length == 3 && parts[2].Length > 0 ? parts[2] : null);
                return d.Type == Q.QuestionnaireItemType.OpenChoice ? new FhirString(value) : null;
            default:
                return new FhirString(value);
        }
    }

    private static string Short(string s) => s.Length > 40 ? s[..40] + "\u2026" : s;
}
