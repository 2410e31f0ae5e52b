using AngleSharp.Dom;
using AngleSharp.Html.Dom;

namespace Rhizotomy.App.Tests.Form;

/// <summary>What a browser would post from a page's form: its successful controls (hidden, text, checked boxes, selected options).</summary>
public sealed class HtmlForm
{
    private readonly List<KeyValuePair<string, string>> _fields = [];

    public HtmlForm(string html)
    {
        Html = html;
        Page = Rhizotomy.Tests.Shared.Html.Parse(html);
        foreach (var control in Page.QuerySelectorAll("input[name], textarea[name], select[name]"))
        {
            var name = control.GetAttribute("name")!;
            switch (control)
            {
                case IHtmlInputElement input:
                    var type = input.Type;
                    if (type is "checkbox" or "radio" && !input.HasAttribute("checked"))
                        continue;
                    if (type == "submit")
                        continue;
                    _fields.Add(new(name, input.GetAttribute("value") ?? ""));
                    break;
                case IHtmlTextAreaElement area:
                    _fields.Add(new(name, area.TextContent));
                    break;
                case IHtmlSelectElement select:
                    // The option the page marks selected, when it has a value (none: nothing is posted, as the app's forms expect).
                    var selected = select.Options.FirstOrDefault(o => o.HasAttribute("selected"))?.GetAttribute("value");
                    if (!string.IsNullOrEmpty(selected))
                        _fields.Add(new(name, selected));
                    break;
            }
        }
    }

    public string Html { get; }

    /// <summary>The page, parsed.</summary>
    public IHtmlDocument Page { get; }

    public string Action => Page.QuerySelector("form[method=post]")?.GetAttribute("action") ?? "";

    public IEnumerable<string> Values(string name) => _fields.Where(f => f.Key == name).Select(f => f.Value);

    public HtmlForm Set(string name, params string[] values)
    {
        _fields.RemoveAll(f => f.Key == name);
        _fields.AddRange(values.Select(v => new KeyValuePair<string, string>(name, v)));
        return this;
    }

    /// <summary>The value of the first radio/checkbox/option offered for <paramref name="name"/>.</summary>
    public string FirstOption(string name) => Options(name).First();

    public IEnumerable<string> Options(string name)
    {
        foreach (var input in Page.QuerySelectorAll("input[name][value]").Where(i => i.GetAttribute("name") == name))
            yield return input.GetAttribute("value")!;
        var select = Page.QuerySelectorAll("select[name]").FirstOrDefault(s => s.GetAttribute("name") == name);
        foreach (var option in select?.QuerySelectorAll("option[value]") ?? Enumerable.Empty<IElement>())
        {
            var value = option.GetAttribute("value")!;
            if (value.Length > 0)
                yield return value;
        }
    }

    public FormUrlEncodedContent Content(string action = "check") =>
        new(_fields.Append(new("action", action)));
}
