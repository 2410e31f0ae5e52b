using System.Globalization;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;
using Q = Hl7.Fhir.Model.Questionnaire;
using R = Hl7.Fhir.Model.QuestionnaireResponse;

namespace Rhizotomy.App.Form;

/// <summary>
/// The form as the surgeon typed it: raw strings by field key, kept as typed (an invalid number stays in its
/// box with a message, an answer behind a closed branch stays for when the branch opens again), so nothing
/// is lost on a round trip. A field key is the item's linkId followed by the index of each enclosing
/// repeating group instance: <c>prior-block-date.0</c>. Suffixes <c>~other</c> (free text of an open choice),
/// <c>~src</c> and <c>~was</c> (the chart source of a prefilled answer and the value it had) ride along.
/// </summary>
public sealed class FormState
{
    public const string Other = "~other";
    public const string Source = "~src";
    public const string Was = "~was";
    public const string Default = "~def";
    /// <summary>The answer "My usual" filled (from the surgeon's previous note), kept while it is still to be reviewed.</summary>
    public const string Usual = "~usual";
    /// <summary>A site phrase picked for a free-text item (without script: it fills the item when the item is empty).</summary>
    public const string Phrase = "~phrase";
    public const string TimeZoneField = "tz";

    /// <summary>
    /// The encounter the surgeon chose when the launch has none (<c>Encounter/id</c>). Not a template item: the
    /// leading <c>~</c> keeps it apart from every linkId, and it rides with the raw fields (drafts, the confirm step).
    /// </summary>
    public const string EncounterField = "~encounter";

    /// <summary>Most instances of a repeating group the form offers (a guard against posted nonsense).</summary>
    public const int MaxRepeats = 30;

    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    /// <summary>The UTC offset (<c>+01:00</c>) of the times on the form.</summary>
    public string TimeZone { get; set; } = "Z";

    public IReadOnlyList<string> Values(string key) => _values.TryGetValue(key, out var v) ? v : [];

    public string Value(string key) => Values(key).FirstOrDefault() ?? "";

    public void Set(string key, IEnumerable<string> values)
    {
        var list = values.Where(v => !string.IsNullOrWhiteSpace(v)).ToList();
        if (list.Count == 0)
            _values.Remove(key);
        else
            _values[key] = list;
    }

    public void Set(string key, string value) => Set(key, [value]);

    public bool HasAny(string key) => _values.ContainsKey(key);

    /// <summary>The chosen encounter (<c>Encounter/id</c>), or null.</summary>
    public string? Encounter => HasAny(EncounterField) ? Value(EncounterField) : null;

    /// <summary>Sets the chosen encounter; anything that is not a local Encounter reference is dropped (a guard against posted nonsense).</summary>
    public void SetEncounter(string? reference)
    {
        if (WriteBack.EncounterLookup.IsReference(reference?.Trim()))
            Set(EncounterField, reference!.Trim());
        else
            _values.Remove(EncounterField);
    }

    public IEnumerable<string> Keys => _values.Keys;

    /// <summary>From a posted form: only the fields of this template are taken.</summary>
    public static FormState FromForm(IFormCollection form, Questionnaire template)
    {
        var state = new FormState();
        var linkIds = TemplateCatalog.Flatten(template.Item).Select(i => i.LinkId).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, values) in form)
        {
            var baseKey = name.Split('~')[0];
            var linkId = baseKey.Split('.')[0];
            if (!linkIds.Contains(linkId) || name.Length > 200)
                continue;
            state.Set(name, values.OfType<string>().Select(v => v.Length > 20_000 ? v[..20_000] : v));
        }
        state.SetEncounter(form[EncounterField].FirstOrDefault());
        if (IsOffset(form[TimeZoneField].FirstOrDefault()) is { } tz)
            state.TimeZone = tz;
        // A phrase picked without script (the page's script puts it into the text box itself) fills an empty answer.
        foreach (var key in state.Keys.Where(k => k.EndsWith(Phrase, StringComparison.Ordinal)).ToList())
        {
            var item = key[..^Phrase.Length];
            if (!state.HasAny(item))
                state.Set(item, state.Values(key));
            state._values.Remove(key);
        }
        return state;
    }

    /// <summary>
    /// The raw fields as typed, for the draft (an invalid number, an answer behind a closed branch): what
    /// <see cref="FromRaw"/> turns back into exactly this form.
    /// </summary>
    public Dictionary<string, string[]> ToRaw() => _values.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);

    /// <summary>From a draft's raw fields: only the fields of this template are taken, with the same limits as a posted form.</summary>
    public static FormState FromRaw(Questionnaire template, IReadOnlyDictionary<string, string[]> raw, string? timeZone)
    {
        var state = new FormState();
        var linkIds = TemplateCatalog.Flatten(template.Item).Select(i => i.LinkId).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, values) in raw)
        {
            if (name.Length > 200 || !linkIds.Contains(name.Split('~')[0].Split('.')[0]) || values is null)
                continue;
            state.Set(name, values.OfType<string>().Select(v => v.Length > 20_000 ? v[..20_000] : v));
        }
        state.SetEncounter(raw.TryGetValue(EncounterField, out var encounter) ? encounter?.FirstOrDefault() : null);
        if (IsOffset(timeZone) is { } tz)
            state.TimeZone = tz;
        return state;
    }

    /// <summary>From a QuestionnaireResponse (the prefilled draft).</summary>
    public static FormState FromResponse(Questionnaire template, QuestionnaireResponse response)
    {
        var state = new FormState();
        var definitions = TemplateCatalog.Flatten(template.Item).Where(d => d.LinkId is not null).ToDictionary(d => d.LinkId!, StringComparer.Ordinal);
        state.TimeZone = response.Authored is { Length: > 19 } authored && IsOffset(authored[19..]) is { } offset ? offset : "Z";
        void Walk(IEnumerable<R.ItemComponent> items, string suffix)
        {
            var counters = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                if (item.LinkId is null || !definitions.TryGetValue(item.LinkId, out var d))
                    continue;
                if (d.Type == Q.QuestionnaireItemType.Group)
                {
                    var childSuffix = suffix;
                    if (d.Repeats == true)
                    {
                        counters.TryGetValue(item.LinkId, out var index);
                        counters[item.LinkId] = index + 1;
                        childSuffix = suffix + "." + index.ToString(CultureInfo.InvariantCulture);
                    }
                    Walk(item.Item, childSuffix);
                    continue;
                }
                var key = item.LinkId + suffix;
                var values = new List<string>();
                foreach (var answer in item.Answer)
                {
                    if (answer.Value is FhirString s && d.Type == Q.QuestionnaireItemType.OpenChoice && !FormOptions.For(d).Any(o => o.Value == s.Value))
                        state.Set(key + Other, s.Value ?? "");
                    else if (Encode(answer.Value, state.TimeZone) is { } encoded)
                        values.Add(encoded);
                }
                state.Set(key, values);
                var source = item.Extension.FirstOrDefault(e => e.Url == Known.Extensions.PrefillSource)?.Value as ResourceReference;
                if (source?.Reference is { } reference)
                {
                    state.Set(key + Source, reference);
                    state.Set(key + Was, state.Values(key).Concat(state.Values(key + Other)).FirstOrDefault() ?? "");
                }
            }
        }
        Walk(response.Item, "");
        return state;
    }

    /// <summary>
    /// The template's defaults (<c>initial</c>, <c>initialSelected</c>), also those behind an <c>enableWhen</c> (a
    /// nerve's technique), so ticking a nerve shows its technique already chosen, marked "default".
    /// </summary>
    public void ApplyDefaults(Questionnaire template)
    {
        foreach (var d in TemplateCatalog.Flatten(template.Item).Where(d => d.Type != Q.QuestionnaireItemType.Group && d.LinkId is not null))
        {
            var initial = d.Initial.Select(i => i.Value).Concat(d.AnswerOption.Where(o => o.InitialSelected == true).Select(o => o.Value))
                .OfType<DataType>().Select(v => Encode(v, TimeZone)).OfType<string>().FirstOrDefault();
            if (initial is null || InsideRepeat(template.Item, d.LinkId!))
                continue;
            if (!HasAny(d.LinkId!))
                Set(d.LinkId!, initial);
            if (Value(d.LinkId!) == initial)
                Set(d.LinkId! + Default, initial);
        }
    }

    private static bool InsideRepeat(IEnumerable<Q.ItemComponent> items, string linkId, bool inRepeat = false) =>
        items.Any(i => (i.LinkId == linkId && inRepeat) || InsideRepeat(i.Item, linkId, inRepeat || (i.Type == Q.QuestionnaireItemType.Group && i.Repeats == true)));

    /// <summary>The form's string for an answer value.</summary>
    public static string? Encode(DataType? value, string timeZone) => value switch
    {
        Coding c => CodingValue(c),
        FhirBoolean b => b.Value == true ? "true" : "false",
        FhirDecimal d => d.Value?.ToString(CultureInfo.InvariantCulture),
        Integer i => i.Value?.ToString(CultureInfo.InvariantCulture),
        FhirDateTime dt => LocalDateTime(dt.Value, timeZone),
        Date d => d.Value,
        FhirString s => s.Value,
        _ => null,
    };

    public static string CodingValue(Coding c) => $"{c.System}|{c.Code}|{c.Display}";

    /// <summary>system|code of an encoded coding, for comparisons that ignore the display.</summary>
    public static string CodeOf(string encoded)
    {
        var parts = encoded.Split('|');
        return parts.Length >= 2 ? parts[0] + "|" + parts[1] : encoded;
    }

    /// <summary>A FHIR dateTime shown as the wall-clock time of <paramref name="timeZone"/> (what a datetime-local box takes).</summary>
    private static string? LocalDateTime(string? fhir, string timeZone)
    {
        if (fhir is null)
            return null;
        if (fhir.Length >= 16 && DateTimeOffset.TryParse(fhir, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant) && fhir.Contains('T', StringComparison.Ordinal))
        {
            var offset = ParseOffset(timeZone);
            return instant.ToOffset(offset).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);
        }
        return fhir;
    }

    public static TimeSpan ParseOffset(string timeZone) =>
        timeZone == "Z" ? TimeSpan.Zero
        : TimeSpan.ParseExact(timeZone[1..], "hh\\:mm", CultureInfo.InvariantCulture) * (timeZone[0] == '-' ? -1 : 1);

    private static string? IsOffset(string? text) =>
        text is not null && (text == "Z" || System.Text.RegularExpressions.Regex.IsMatch(text, @"^[+-](0\d|1[0-4]):[0-5]\d$")) ? text : null;
}
