using System.Globalization;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Templates;
using Q = Hl7.Fhir.Model.Questionnaire;

namespace Rhizotomy.App.Form;

/// <summary>A message shown at a field (and in the summary at the top).</summary>
public sealed record FieldMessage(string Key, bool Error, string Text);

/// <summary>
/// An item behind an <c>enableWhen</c>: its field key (the page's <c>data-ew</c>, which the script looks up in what
/// <c>POST .../note/enabled</c> answers) and whether it is shown now. The conditions are evaluated only by Core's <see cref="EnableWhen"/>.
/// </summary>
public sealed record EnableWhenAttributes(string Key, bool Enabled);

/// <summary>
/// What the note form's components need of a template and the answers so far: ids of fields, messages at each,
/// where a prefilled answer came from, which items are enabled. The markup is <c>Components/Form/*.razor</c>:
/// groups as fieldsets, a label on every control, required items marked in words, units beside numbers, answer
/// lists from the template, chart answers marked "from chart", items behind an unmet <c>enableWhen</c> present but
/// hidden (script shows them as answers change; without script a round trip does), and each message beside its field.
/// </summary>
public sealed class FormView
{
    private readonly ILookup<string, FieldMessage> _byKey;

    public FormView(Questionnaire template, FormState state, ResponseBuilder logic, IReadOnlyList<FieldMessage> messages, IReadOnlyList<NerveMap.NerveEvidence> nerveEvidence)
    {
        Template = template;
        State = state;
        Logic = logic;
        AllMessages = messages;
        NerveEvidence = nerveEvidence;
        _byKey = messages.ToLookup(m => m.Key, StringComparer.Ordinal);
        var rendered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in template.Item)
            Collect(rendered, d, "");
        Rendered = rendered;
    }

    public Questionnaire Template { get; }

    public FormState State { get; }

    public ResponseBuilder Logic { get; }

    public IReadOnlyList<FieldMessage> AllMessages { get; }

    public IReadOnlyList<NerveMap.NerveEvidence> NerveEvidence { get; }

    /// <summary>Keys that get an element on the page (so the summary can link to them).</summary>
    public IReadOnlySet<string> Rendered { get; }

    /// <summary>The element id of a field: a site's linkIds may hold any character, ids here only safe ones.</summary>
    public static string Id(string key) => "f-" + Safe(key);

    /// <summary>The id of the element that holds a field's messages.</summary>
    public static string MessageId(string key) => "m-" + Safe(key);

    private static string Safe(string key) => new([.. key.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_')]);

    public IReadOnlyList<FieldMessage> Messages(string key) => [.. _byKey[key]];

    /// <summary>How many instances a repeating group shows: those with answers and one empty to add another.</summary>
    public int Instances(Q.ItemComponent group, string suffix) => Math.Min(Logic.InstancesWithValues(group, suffix) + 1, FormState.MaxRepeats);

    public static string Instance(string suffix, int i) => suffix + "." + i.ToString(CultureInfo.InvariantCulture);

    /// <summary>The nerve-side groups the nerves item holds (a site's template may leave some out).</summary>
    public IReadOnlyList<Q.ItemComponent> NerveGroups(Q.ItemComponent nerves) =>
        [.. nerves.Item.Where(g => NerveSides.ByGroup(Template, g.LinkId) is not null)];

    /// <summary>The nerve-side group <paramref name="group"/> documents.</summary>
    public NerveSide NerveSide(Q.ItemComponent group) => NerveSides.ByGroup(Template, group.LinkId)!;

    public bool Treated(NerveSide ids, string suffix) => State.Value(ids.Treated + suffix) == "true";

    // The same walk as the components: which keys get an element (the summary above the form links to them).
    private void Collect(HashSet<string> keys, Q.ItemComponent d, string suffix)
    {
        keys.Add(d.LinkId + suffix);
        if (d.Type != Q.QuestionnaireItemType.Group)
            return;
        if (d.LinkId == LinkIds.Nerves)
        {
            foreach (var g in NerveGroups(d))
            {
                keys.Add(g.LinkId + suffix);
                var ids = NerveSide(g);
                keys.Add(ids.Treated + suffix);
                foreach (var child in g.Item.Where(c => c.LinkId != ids.Treated))
                    Collect(keys, child, suffix);
            }
            return;
        }
        if (d.Repeats == true)
        {
            for (var i = 0; i < Instances(d, suffix); i++)
            {
                var instance = Instance(suffix, i);
                keys.Add(d.LinkId + instance);
                foreach (var child in d.Item)
                    Collect(keys, child, instance);
            }
            return;
        }
        foreach (var child in d.Item)
            Collect(keys, child, suffix);
    }

    /// <summary>Whether a message is in the folded work-up group (it then opens).</summary>
    public bool HasMessageInside(Q.ItemComponent group)
    {
        var inside = new HashSet<string>(TemplateCatalog.Flatten(group.Item).Select(i => i.LinkId ?? ""), StringComparer.Ordinal);
        return AllMessages.Any(m => inside.Contains(m.Key.Split('.')[0]) || m.Key.Split('.')[0] == group.LinkId);
    }

    public bool FromChart(Q.ItemComponent group, string instance) => group.Item.Any(c => State.HasAny(c.LinkId + instance + FormState.Source));

    /// <summary>"from chart" (with its source) or "default" beside a prefilled answer still as it was prefilled; null otherwise.</summary>
    public (string Kind, string? Source)? Tag(string key)
    {
        var current = State.Values(key).FirstOrDefault() ?? State.Value(key + FormState.Other);
        if (State.HasAny(key + FormState.Source) && current.Length > 0 && current == State.Value(key + FormState.Was))
            return ("chart", State.Value(key + FormState.Source));
        if (State.HasAny(key + FormState.Default) && current.Length > 0 && current == State.Value(key + FormState.Default))
            return ("default", null);
        return null;
    }

    /// <summary>Where a prefilled answer came from and what it was: kept so a round trip still knows it.</summary>
    public IEnumerable<(string Name, string Value)> Hidden(string key)
    {
        foreach (var suffix in new[] { FormState.Source, FormState.Was, FormState.Default })
        {
            if (State.HasAny(key + suffix))
                yield return (key + suffix, State.Value(key + suffix));
        }
    }

    /// <summary>The answer options of a choice item, with any answer given that is not among them.</summary>
    public IReadOnlyList<FormOption> Options(Q.ItemComponent d, string key)
    {
        var list = d.Type == Q.QuestionnaireItemType.Boolean ? [new FormOption("true", "Yes"), new FormOption("false", "No")] : FormOptions.For(d);
        var values = State.Values(key);
        return [.. list, .. values.Where(v => !list.Any(o => FormState.CodeOf(o.Value) == FormState.CodeOf(v))).Select(v => new FormOption(v, LabelOf(v)))];
    }

    public bool IsChosen(string key, FormOption option) => State.Values(key).Any(v => FormState.CodeOf(v) == FormState.CodeOf(option.Value));

    public EnableWhenAttributes? Enable(Q.ItemComponent d, string suffix) =>
        d.EnableWhen.Count == 0 ? null : new EnableWhenAttributes(d.LinkId + suffix, Logic.Enabled(d, suffix));

    public string WorkUpSummary(Q.ItemComponent indication)
    {
        string Count(string linkId, string one, string many)
        {
            var group = indication.Item.FirstOrDefault(i => i.LinkId == linkId);
            var n = group is null ? 0 : Logic.InstancesWithValues(group, "");
            return n == 0 ? "no " + many : n == 1 ? "1 " + one : n.ToString(CultureInfo.InvariantCulture) + " " + many;
        }
        return $"{Count(LinkIds.PriorBlock, "diagnostic block", "diagnostic blocks")}, {Count(LinkIds.Therapy, "treatment tried", "treatments tried")}, "
            + $"{Count(LinkIds.Imaging, "imaging study", "imaging studies")} (open to review or edit)";
    }

    private static string LabelOf(string encoded)
    {
        var parts = encoded.Split('|', 3);
        return parts.Length == 3 && parts[2].Length > 0 ? parts[2] : parts.Length >= 2 ? parts[1] : encoded;
    }
}
