using System.Globalization;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;
using static Rhizotomy.App.Ui.Pages;
using Q = Hl7.Fhir.Model.Questionnaire;

namespace Rhizotomy.App.Form;

/// <summary>A message shown at a field (and in the summary at the top).</summary>
public sealed record FieldMessage(string Key, bool Error, string Text);

/// <summary>
/// Renders a template as an HTML form from its Questionnaire: groups as fieldsets, a label on every control,
/// required items marked in words, units beside numbers, answer lists from the template, chart answers
/// marked "from chart", items behind an unmet <c>enableWhen</c> present but hidden (script shows them as
/// answers change; without script a round trip does), and each message beside its field.
/// </summary>
public sealed class FormRenderer(Questionnaire template, FormState state, ResponseBuilder logic, IReadOnlyList<FieldMessage> messages, IReadOnlyList<NerveMap.NerveEvidence> nerveEvidence)
{
    private readonly HashSet<string> _rendered = new(StringComparer.Ordinal);
    private readonly ILookup<string, FieldMessage> _byKey = messages.ToLookup(m => m.Key, StringComparer.Ordinal);

    /// <summary>The element id of a field: a site's linkIds may hold any character, ids here only safe ones.</summary>
    public static string Id(string key) => "f-" + Safe(key);

    private static string MessageId(string key) => "m-" + Safe(key);

    private static string Safe(string key) => new([.. key.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_')]);

    /// <summary>Keys that got an element on the page (so the summary can link to them).</summary>
    public IReadOnlySet<string> Rendered => _rendered;

    public string Items()
    {
        var html = new StringBuilder();
        foreach (var d in template.Item)
            Item(html, d, "");
        return html.ToString();
    }

    private void Item(StringBuilder html, Q.ItemComponent d, string suffix)
    {
        if (d.Type == Q.QuestionnaireItemType.Group)
        {
            if (d.LinkId == LinkIds.Nerves)
                Nerves(html, d, suffix);
            else if (d.Repeats == true)
                Repeating(html, d, suffix);
            else
            {
                var key = d.LinkId + suffix;
                // The work-up comes from the chart and is long: folded (open it to review or edit) unless a message is in it.
                var fold = d.LinkId == LinkIds.Indication;
                if (fold)
                {
                    var inside = new HashSet<string>(TemplateCatalog.Flatten(d.Item).Select(i => i.LinkId ?? ""), StringComparer.Ordinal);
                    var open = messages.Any(m => inside.Contains(m.Key.Split('.')[0]) || m.Key.Split('.')[0] == d.LinkId);
                    html.Append("<details class=\"fold\"").Append(open ? " open" : "").Append("><summary>").Append(E(d.Text)).Append(": ")
                        .Append(E(WorkUpSummary(d))).Append("</summary>");
                }
                html.Append("<fieldset class=\"grp\" id=\"").Append(Id(key)).Append('"').Append(EnableAttributes(d, suffix)).Append('>');
                _rendered.Add(key);
                html.Append("<legend>").Append(E(d.Text)).Append(Required(d)).Append("</legend>");
                Messages(html, key);
                foreach (var child in d.Item)
                    Item(html, child, suffix);
                html.Append("</fieldset>");
                if (fold)
                    html.Append("</details>");
            }
            return;
        }
        Question(html, d, suffix);
    }

    private void Repeating(StringBuilder html, Q.ItemComponent d, string suffix)
    {
        var key = d.LinkId + suffix;
        _rendered.Add(key);
        var filled = logic.InstancesWithValues(d, suffix);
        var count = Math.Min(filled + 1, FormState.MaxRepeats);
        html.Append("<fieldset class=\"grp rep\" id=\"").Append(Id(key)).Append('"').Append(EnableAttributes(d, suffix)).Append('>');
        html.Append("<legend>").Append(E(d.Text)).Append(Required(d)).Append("</legend>");
        Messages(html, key);
        for (var i = 0; i < count; i++)
        {
            var instance = suffix + "." + i.ToString(CultureInfo.InvariantCulture);
            var instanceKey = d.LinkId + instance;
            _rendered.Add(instanceKey);
            var fromChart = d.Item.Any(c => state.HasAny(c.LinkId + instance + FormState.Source));
            html.Append("<fieldset class=\"inst\" id=\"").Append(Id(instanceKey)).Append("\"><legend>")
                .Append(E(d.Text)).Append(' ').Append(i + 1)
                .Append(i == filled ? " <span class=\"muted\">(add another: fill in to add)</span>" : "")
                .Append(fromChart ? " <span class=\"tag chart\">from chart</span>" : "")
                .Append("</legend>");
            Messages(html, instanceKey);
            foreach (var child in d.Item)
                Item(html, child, instance);
            html.Append("</fieldset>");
        }
        html.Append("</fieldset>");
    }

    private void Nerves(StringBuilder html, Q.ItemComponent d, string suffix)
    {
        var key = d.LinkId + suffix;
        _rendered.Add(key);
        var groups = d.Item.Where(g => LinkIds.NerveSides.Any(n => n.Group == g.LinkId)).ToList();
        bool Selected(NerveLinkIds ids) => state.Value(ids.Treated + suffix) == "true";
        var evidence = nerveEvidence.Where(e => groups.Any(g => g.LinkId == e.Ids.Group)).ToList();

        html.Append("<fieldset class=\"grp nerves\" id=\"").Append(Id(key)).Append("\"><legend>").Append(E(d.Text)).Append(Required(d)).Append("</legend>");
        Messages(html, key);
        html.Append("<div class=\"nerve-pick\">").Append(NerveMap.Render(evidence, Selected));
        html.Append("<div class=\"nerve-boxes\"><p class=\"muted\" id=\"nerve-help\">Tick each nerve and side operated on (or click the nerve in the picture).</p>");
        html.Append("<table class=\"pick\"><thead><tr><th scope=\"col\">Nerve</th><th scope=\"col\">Left</th><th scope=\"col\">Right</th></tr></thead><tbody>");
        foreach (var nerve in new[] { Nerve.GreaterOccipital, Nerve.LesserOccipital, Nerve.ThirdOccipital })
        {
            var name = LinkIds.For(nerve, Side.Left).Label["Left ".Length..];
            html.Append("<tr><th scope=\"row\">").Append(E(char.ToUpperInvariant(name[0]) + name[1..])).Append("</th>");
            foreach (var side in new[] { Side.Left, Side.Right })
            {
                var ids = LinkIds.For(nerve, side);
                html.Append("<td>");
                if (groups.Any(g => g.LinkId == ids.Group))
                {
                    var treatedKey = ids.Treated + suffix;
                    _rendered.Add(treatedKey);
                    html.Append("<input type=\"checkbox\" class=\"treated\" name=\"").Append(E(treatedKey)).Append("\" value=\"true\" id=\"").Append(Id(treatedKey))
                        .Append("\" data-group=\"").Append(E(ids.Group)).Append('"').Append(Selected(ids) ? " checked" : "")
                        .Append(" aria-describedby=\"nerve-help\"><label for=\"").Append(Id(treatedKey)).Append("\"><span class=\"vh\">")
                        .Append(E(ids.Label)).Append("</span><span aria-hidden=\"true\">").Append(side == Side.Left ? "Left" : "Right").Append("</span></label>");
                }
                html.Append("</td>");
            }
            html.Append("</tr>");
        }
        html.Append("</tbody></table>");
        var chosen = evidence.Where(e => Selected(e.Ids)).Select(e => e.Ids.Label).ToList();
        html.Append("<p class=\"selected\" id=\"nerves-selected\" aria-live=\"polite\">")
            .Append(chosen.Count == 0 ? "No nerve selected." : "Selected: " + E(string.Join("; ", chosen)) + ".").Append("</p>");
        html.Append("<ul class=\"nerve-warnings\">");
        foreach (var e in evidence)
        {
            foreach (var warning in e.Warnings())
            {
                html.Append("<li class=\"warn\" data-for=\"").Append(E(e.Ids.Group)).Append('"').Append(Selected(e.Ids) ? "" : " hidden")
                    .Append("><span aria-hidden=\"true\">\u26a0 </span>").Append(E(warning)).Append("</li>");
            }
        }
        html.Append("</ul></div></div>");

        foreach (var g in groups)
        {
            var ids = LinkIds.NerveSides.First(n => n.Group == g.LinkId);
            var other = LinkIds.For(ids.Nerve, ids.Side == Side.Left ? Side.Right : Side.Left);
            var groupKey = g.LinkId + suffix;
            _rendered.Add(groupKey);
            html.Append("<fieldset class=\"grp nerve\" id=\"").Append(Id(groupKey)).Append('"')
                .Append(" data-ew=\"").Append(E(JsonSerializer.Serialize(new[] { new { k = ids.Treated + suffix, op = "=", v = "true" } }))).Append("\" data-eb=\"all\"")
                .Append(Selected(ids) ? "" : " hidden").Append("><legend>").Append(E(ids.Label)).Append("</legend>");
            Messages(html, groupKey);
            if (groups.Any(x => x.LinkId == other.Group))
            {
                html.Append("<p><button type=\"submit\" class=\"secondary\" name=\"action\" value=\"copy:").Append(E(g.LinkId)).Append("\">Same as the ")
                    .Append(ids.Side == Side.Left ? "right" : "left").Append(" side</button> <span class=\"muted\">copies technique and details from the ")
                    .Append(E(other.Label.ToLowerInvariant())).Append("</span></p>");
            }
            foreach (var child in g.Item.Where(c => c.LinkId != ids.Treated))
                Item(html, child, suffix);
            html.Append("</fieldset>");
        }
        html.Append("</fieldset>");
    }

    private void Question(StringBuilder html, Q.ItemComponent d, string suffix)
    {
        var key = d.LinkId + suffix;
        _rendered.Add(key);
        var id = Id(key);
        var options = FormOptions.For(d);
        var values = state.Values(key);
        var messages = _byKey[key].ToList();
        var describedBy = messages.Count > 0 ? $" aria-describedby=\"{MessageId(key)}\"" : "";
        var invalid = messages.Any(m => m.Error) ? " aria-invalid=\"true\"" : "";
        var wrapper = "<div class=\"q\" id=\"w-" + id[2..] + "\"" + EnableAttributes(d, suffix) + ">";
        var tag = Tag(key);

        bool asChoiceList = d.Type is Q.QuestionnaireItemType.Choice or Q.QuestionnaireItemType.OpenChoice && options.Count > 0;
        if (d.Type == Q.QuestionnaireItemType.Boolean || (asChoiceList && (d.Repeats == true || options.Count <= 6)))
        {
            // A set of radios or tick boxes: a fieldset whose legend is the question.
            var list = d.Type == Q.QuestionnaireItemType.Boolean ? [new FormOption("true", "Yes"), new FormOption("false", "No")] : options;
            var type = d.Repeats == true ? "checkbox" : "radio";
            html.Append(wrapper.Replace("<div class=\"q\"", "<fieldset class=\"q choices\"", StringComparison.Ordinal))
                .Append("<legend>").Append(E(d.Text)).Append(Required(d)).Append(tag).Append("</legend>");
            var extra = values.Where(v => !list.Any(o => FormState.CodeOf(o.Value) == FormState.CodeOf(v))).Select(v => new FormOption(v, LabelOf(v)));
            var index = 0;
            foreach (var o in list.Concat(extra))
            {
                var optionId = index == 0 ? id : id + "-" + index.ToString(CultureInfo.InvariantCulture);
                var on = values.Any(v => FormState.CodeOf(v) == FormState.CodeOf(o.Value));
                html.Append("<label class=\"opt\" for=\"").Append(optionId).Append("\"><input type=\"").Append(type).Append("\" id=\"").Append(optionId)
                    .Append("\" name=\"").Append(E(key)).Append("\" value=\"").Append(E(o.Value)).Append('"').Append(on ? " checked" : "")
                    .Append(describedBy).Append(invalid).Append("> ").Append(E(o.Label)).Append("</label>");
                index++;
            }
            if (d.Type == Q.QuestionnaireItemType.OpenChoice)
                OtherBox(html, key, d);
            if (d.Repeats == true && d.LinkId == LinkIds.RisksDiscussed)
            {
                // One click for the usual consent conversation; shown by the script (it needs it to work).
                html.Append(" <button type=\"button\" class=\"secondary all\" data-all=\"").Append(E(key)).Append("\" hidden>Tick all the risks listed</button>");
            }
            Hidden(html, key);
            Messages(html, key);
            html.Append("</fieldset>");
            return;
        }

        html.Append(wrapper).Append("<label for=\"").Append(id).Append("\">").Append(E(d.Text)).Append(Required(d)).Append("</label>").Append(tag);
        var value = values.FirstOrDefault() ?? "";
        var required = d.Required == true ? " aria-required=\"true\"" : "";
        var common = $" id=\"{id}\" name=\"{E(key)}\"{describedBy}{invalid}{required}";
        switch (d.Type)
        {
            case Q.QuestionnaireItemType.Choice or Q.QuestionnaireItemType.OpenChoice when options.Count > 0:
                html.Append("<select").Append(common).Append("><option value=\"\">Choose\u2026</option>");
                foreach (var o in options.Concat(values.Where(v => !options.Any(o => FormState.CodeOf(o.Value) == FormState.CodeOf(v))).Select(v => new FormOption(v, LabelOf(v)))))
                {
                    html.Append("<option value=\"").Append(E(o.Value)).Append('"').Append(FormState.CodeOf(o.Value) == FormState.CodeOf(value) && value.Length > 0 ? " selected" : "")
                        .Append('>').Append(E(o.Label)).Append("</option>");
                }
                html.Append("</select>");
                if (d.Type == Q.QuestionnaireItemType.OpenChoice)
                    OtherBox(html, key, d);
                break;
            case Q.QuestionnaireItemType.Decimal or Q.QuestionnaireItemType.Integer:
                var (min, max) = FormOptions.Range(d);
                var unit = FormOptions.Unit(d);
                html.Append("<span class=\"num\"><input type=\"text\" inputmode=\"").Append(d.Type == Q.QuestionnaireItemType.Integer ? "numeric" : "decimal")
                    .Append("\" size=\"6\"").Append(common).Append(" value=\"").Append(E(value)).Append("\">");
                if (unit is not null)
                    html.Append(" <span class=\"unit\">").Append(E(unit)).Append("</span>");
                if (min is not null && max is not null)
                    html.Append(" <span class=\"muted\">(").Append(E(min)).Append('\u2013').Append(E(max)).Append(unit is null ? "" : " " + E(unit)).Append(")</span>");
                html.Append("</span>");
                break;
            case Q.QuestionnaireItemType.Date:
                var isFull = value.Length == 0 || (value.Length == 10 && Date.IsValidValue(value));
                html.Append("<input type=\"").Append(isFull ? "date" : "text").Append('"').Append(common).Append(" value=\"").Append(E(value)).Append("\">");
                break;
            case Q.QuestionnaireItemType.DateTime:
                var local = value.Length == 0 || (value.Length == 16 && value[10] == 'T');
                html.Append("<input type=\"").Append(local ? "datetime-local" : "text").Append('"').Append(common).Append(" value=\"").Append(E(value)).Append("\">");
                break;
            case Q.QuestionnaireItemType.Text:
                html.Append("<textarea rows=\"2\"").Append(common).Append('>').Append(E(value)).Append("</textarea>");
                break;
            default:
                html.Append("<input type=\"text\"").Append(common).Append(" value=\"").Append(E(value)).Append("\">");
                break;
        }
        Hidden(html, key);
        Messages(html, key);
        html.Append("</div>");
    }

    private void OtherBox(StringBuilder html, string key, Q.ItemComponent d)
    {
        var otherId = Id(key) + "-other";
        html.Append(" <label class=\"other\" for=\"").Append(otherId).Append("\">").Append(E(d.Text)).Append(": other (type it)</label> <input type=\"text\" id=\"")
            .Append(otherId).Append("\" name=\"").Append(E(key + FormState.Other)).Append("\" value=\"").Append(E(state.Value(key + FormState.Other))).Append("\">");
    }

    /// <summary>Where a prefilled answer came from and what it was: kept so a round trip still knows it.</summary>
    private void Hidden(StringBuilder html, string key)
    {
        foreach (var suffix in new[] { FormState.Source, FormState.Was, FormState.Default })
        {
            if (state.HasAny(key + suffix))
                html.Append("<input type=\"hidden\" name=\"").Append(E(key + suffix)).Append("\" value=\"").Append(E(state.Value(key + suffix))).Append("\">");
        }
    }

    private string Tag(string key)
    {
        var current = state.Values(key).FirstOrDefault() ?? state.Value(key + FormState.Other);
        if (state.HasAny(key + FormState.Source) && current.Length > 0 && current == state.Value(key + FormState.Was))
            return " <span class=\"tag chart\" title=\"From " + E(state.Value(key + FormState.Source)) + "\">from chart</span>";
        if (state.HasAny(key + FormState.Default) && current.Length > 0 && current == state.Value(key + FormState.Default))
            return " <span class=\"tag default\">default</span>";
        return "";
    }

    private void Messages(StringBuilder html, string key)
    {
        var list = _byKey[key].ToList();
        if (list.Count == 0)
            return;
        html.Append("<div class=\"msgs\" id=\"").Append(MessageId(key)).Append("\">");
        foreach (var m in list)
        {
            html.Append("<p class=\"msg ").Append(m.Error ? "error" : "warning").Append("\"><strong>").Append(m.Error ? "Error: " : "Warning: ").Append("</strong>")
                .Append(E(m.Text)).Append("</p>");
        }
        html.Append("</div>");
    }

    private string EnableAttributes(Q.ItemComponent d, string suffix)
    {
        if (d.EnableWhen.Count == 0)
            return "";
        var conditions = d.EnableWhen.Select(w => new
        {
            k = logic.QuestionKey(w.Question ?? "", suffix),
            op = w.Operator switch
            {
                Q.QuestionnaireItemOperator.Exists => "exists",
                Q.QuestionnaireItemOperator.NotEqual => "!=",
                Q.QuestionnaireItemOperator.Equal => "=",
                Q.QuestionnaireItemOperator.GreaterThan => ">",
                Q.QuestionnaireItemOperator.LessThan => "<",
                Q.QuestionnaireItemOperator.GreaterOrEqual => ">=",
                _ => "<=",
            },
            v = w.Answer is Coding c ? FormState.CodeOf(FormState.CodingValue(c)) : FormState.Encode(w.Answer, state.TimeZone),
        });
        return " data-ew=\"" + E(JsonSerializer.Serialize(conditions)) + "\" data-eb=\"" + (d.EnableBehavior == Q.EnableWhenBehavior.Any ? "any" : "all") + "\""
            + (logic.Enabled(d, suffix) ? "" : " hidden");
    }

    private string WorkUpSummary(Q.ItemComponent indication)
    {
        string Count(string linkId, string one, string many)
        {
            var group = indication.Item.FirstOrDefault(i => i.LinkId == linkId);
            var n = group is null ? 0 : logic.InstancesWithValues(group, "");
            return n == 0 ? "no " + many : n == 1 ? "1 " + one : n.ToString(CultureInfo.InvariantCulture) + " " + many;
        }
        return $"{Count(LinkIds.PriorBlock, "diagnostic block", "diagnostic blocks")}, {Count(LinkIds.Therapy, "treatment tried", "treatments tried")}, "
            + $"{Count(LinkIds.Imaging, "imaging study", "imaging studies")} (open to review or edit)";
    }

    private static string Required(Q.ItemComponent d) => d.Required == true ? " <span class=\"req\">(required)</span>" : "";

    private static string LabelOf(string encoded)
    {
        var parts = encoded.Split('|', 3);
        return parts.Length == 3 && parts[2].Length > 0 ? parts[2] : parts.Length >= 2 ? parts[1] : encoded;
    }
}
