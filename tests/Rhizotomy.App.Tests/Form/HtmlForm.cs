using System.Net;
using System.Text.RegularExpressions;

namespace Rhizotomy.App.Tests.Form;

/// <summary>What a browser would post from a page's form: its successful controls (hidden, text, checked boxes, selected options).</summary>
public sealed partial class HtmlForm
{
    private readonly List<KeyValuePair<string, string>> _fields = [];

    public HtmlForm(string html)
    {
        Html = html;
        foreach (Match m in Input().Matches(html))
        {
            var tag = m.Value;
            var name = Attr(tag, "name");
            if (name is null)
                continue;
            var type = Attr(tag, "type") ?? "text";
            if (type is "checkbox" or "radio" && !Regex.IsMatch(tag, @"\schecked[\s>]"))
                continue;
            if (type == "submit")
                continue;
            _fields.Add(new(name, Attr(tag, "value") ?? ""));
        }
        foreach (Match m in TextArea().Matches(html))
            _fields.Add(new(WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[2].Value)));
        foreach (Match m in Select().Matches(html))
        {
            var selected = Regex.Match(m.Groups[2].Value, "<option value=\"([^\"]*)\" selected>");
            if (selected.Success && selected.Groups[1].Value.Length > 0)
                _fields.Add(new(WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(selected.Groups[1].Value)));
        }
    }

    public string Html { get; }

    public string Action => WebUtility.HtmlDecode(Regex.Match(Html, "<form method=\"post\" action=\"([^\"]*)\"").Groups[1].Value);

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
        var escaped = Regex.Escape(WebUtility.HtmlEncode(name));
        foreach (Match m in Regex.Matches(Html, $"name=\"{escaped}\" value=\"([^\"]*)\""))
            yield return WebUtility.HtmlDecode(m.Groups[1].Value);
        var select = Regex.Match(Html, $"<select[^>]*name=\"{escaped}\"[^>]*>(.*?)</select>", RegexOptions.Singleline);
        foreach (Match m in Regex.Matches(select.Groups[1].Value, "<option value=\"([^\"]+)\""))
            yield return WebUtility.HtmlDecode(m.Groups[1].Value);
    }

    public FormUrlEncodedContent Content(string action = "check") =>
        new(_fields.Append(new("action", action)));

    private static string? Attr(string tag, string name)
    {
        var m = Regex.Match(tag, $"\\s{name}=\"([^\"]*)\"");
        return m.Success ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;
    }

    [GeneratedRegex("<input\\b[^>]*>")]
    private static partial Regex Input();

    [GeneratedRegex("<textarea[^>]*name=\"([^\"]*)\"[^>]*>(.*?)</textarea>", RegexOptions.Singleline)]
    private static partial Regex TextArea();

    [GeneratedRegex("<select[^>]*name=\"([^\"]*)\"[^>]*>(.*?)</select>", RegexOptions.Singleline)]
    private static partial Regex Select();
}
