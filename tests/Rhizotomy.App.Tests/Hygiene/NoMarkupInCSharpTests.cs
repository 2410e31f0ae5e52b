using System.Text;
using System.Text.RegularExpressions;

namespace Rhizotomy.App.Tests.Hygiene;

/// <summary>
/// Pages are Razor components and style and script are wwwroot files: no C# file under <c>src/</c> builds HTML, CSS or
/// script in string literals. A source scan (every kind of C# string literal: regular, verbatim, raw, interpolated;
/// comments skipped), so it fails as soon as someone appends a tag, a style rule or a script function in C# again.
/// </summary>
public partial class NoMarkupInCSharpTests
{
    /// <summary>
    /// Not moved yet, by name: a file written as strings before the pages became components. Each entry must still hold
    /// markup (so the list cannot go stale); delete it when the file moves into Razor components. Empty: every page is one.
    /// </summary>
    private static readonly string[] NotMovedYet = [];

    [Fact]
    public void No_csharp_file_under_src_builds_html_css_or_script_in_string_literals()
    {
        var root = RepositoryRoot.Find();
        var found = new List<string>();
        var literals = 0;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal))
                continue;
            var all = Literals(File.ReadAllText(file)).ToList();
            literals += all.Count;
            var hits = all.Where(l => Markup(l.Text) is not null).ToList();
            if (NotMovedYet.Contains(relative))
            {
                Assert.True(hits.Count > 0, relative + " holds no markup any more: take it off NotMovedYet.");
                continue;
            }
            found.AddRange(hits.Select(h => $"{relative}:{h.Line}: {Markup(h.Text)} in {Shorten(h.Text)}"));
        }
        // The scan read the sources (a wrong root or filter would pass with nothing read).
        Assert.True(literals > 0, "The scan found no string literals under src/.");
        foreach (var entry in NotMovedYet)
            Assert.True(File.Exists(Path.Combine(root, entry)), entry + " is on NotMovedYet but no such file exists: take it off.");
        Assert.True(found.Count == 0, "HTML, CSS or script built in C# strings (move it to a Razor component or a wwwroot file):\n" + string.Join('\n', found));
    }

    [Theory]
    [InlineData("<div class=\"x\">", "an HTML tag")]
    [InlineData("</p>", "an HTML tag")]
    [InlineData("<!doctype html><html lang=\"en\">", "an HTML tag")]
    [InlineData("Back&amp;forth", "an HTML entity")]
    [InlineData(" style=\"color:red\"", "an HTML attribute")]
    [InlineData("body{font-family:system-ui;margin:0}", "a CSS rule")]
    [InlineData(".banner { color: #333 }", "a CSS rule")]
    [InlineData("font-family", "a CSS property")]
    [InlineData("border-color:#b42318", "a CSS property")]
    [InlineData("background", "a CSS property")]
    [InlineData("h1,h2,h3,legend", "a CSS selector")]
    [InlineData("button.secondary", "a CSS selector")]
    [InlineData(":focus-visible", "a CSS selector")]
    [InlineData(".msg.error,.summary.bad,.nerve-warnings li", "a CSS selector")]
    [InlineData("(function () { 'use strict'; })();", "a script")]
    [InlineData("document.getElementById('x')", "a script")]
    public void The_scan_recognises_markup(string literal, string what) => Assert.Equal(what, Markup(literal));

    [Theory]
    [InlineData("Open the app again from the patient's chart in the EHR.")]
    [InlineData("<")]
    [InlineData("<=")]
    [InlineData("text/html; charset=utf-8")]
    [InlineData("^rz-[0-9a-f]{24}$")]
    [InlineData("{0} of {1}")]
    [InlineData("usage: rhizotomy validate <file-or-folder>...")]
    [InlineData("Patient/{id}")]
    [InlineData("--ehr-background")]
    [InlineData(":root{")]
    [InlineData("color_background")]
    [InlineData("form.css")]
    [InlineData("urn:oid:2.16.840.1.113883.6.1")]
    [InlineData("display")]
    [InlineData(".answer.value.extension")]
    [InlineData("a, b and c")]
    public void The_scan_leaves_plain_strings_alone(string literal) => Assert.Null(Markup(literal));

    [Fact]
    public void The_scan_reads_every_kind_of_literal_and_skips_comments()
    {
        const string source = "// \"<div>\" in a comment\n/* \"<p>\" */ var a = \"<b>\"; var b = @\"x\"\"<i>\"\"\"; var c = $\"<u>{x}\"; var d = \"\"\"\n  <em>\n  \"\"\"; var e = '\"';";
        var literals = Literals(source).Select(l => l.Text).ToList();
        Assert.Equal(["<b>", "x\"<i>\"", "<u>{x}", "\n  <em>\n  "], literals);
    }

    private static string? Markup(string literal)
    {
        if (Tag().IsMatch(literal))
            return "an HTML tag";
        if (Entity().IsMatch(literal))
            return "an HTML entity";
        if (Attribute().IsMatch(literal))
            return "an HTML attribute";
        if (CssRule().IsMatch(literal))
            return "a CSS rule";
        if (CssProperty().IsMatch(literal))
            return "a CSS property";
        if (CssSelector().IsMatch(literal))
            return "a CSS selector";
        if (Script().IsMatch(literal))
            return "a script";
        return null;
    }

    /// <summary>The string literals of a C# source with the line each starts on (interpolated ones with their holes as written).</summary>
    private static IEnumerable<(int Line, string Text)> Literals(string s)
    {
        var line = 1;
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (c == '\n')
            {
                line++;
                i++;
            }
            else if (c == '/' && i + 1 < s.Length && s[i + 1] == '/')
            {
                while (i < s.Length && s[i] != '\n')
                    i++;
            }
            else if (c == '/' && i + 1 < s.Length && s[i + 1] == '*')
            {
                var end = s.IndexOf("*/", i + 2, StringComparison.Ordinal);
                end = end < 0 ? s.Length : end + 2;
                line += s.AsSpan(i, end - i).Count('\n');
                i = end;
            }
            else if (c == '\'')
            {
                // A char literal: '"' and '\'' must not open a string.
                i++;
                while (i < s.Length && s[i] != '\'')
                    i += s[i] == '\\' ? 2 : 1;
                i++;
            }
            else if (c == '"' || ((c is '@' or '$') && i + 1 < s.Length && s[i + 1] is '"' or '@' or '$'))
            {
                var start = i;
                var verbatim = false;
                while (s[i] is '@' or '$')
                {
                    verbatim |= s[i] == '@';
                    i++;
                }
                if (s[i] != '"')
                    continue;
                var quotes = 0;
                while (i + quotes < s.Length && s[i + quotes] == '"')
                    quotes++;
                var text = new StringBuilder();
                var startLine = line;
                if (quotes >= 3)
                {
                    // Raw string literal: ends at the same number of quotes.
                    var close = new string('"', quotes);
                    var end = s.IndexOf(close, i + quotes, StringComparison.Ordinal);
                    end = end < 0 ? s.Length : end;
                    text.Append(s, i + quotes, end - i - quotes);
                    i = Math.Min(s.Length, end + quotes);
                }
                else if (quotes == 2)
                {
                    i += 2; // ""
                }
                else
                {
                    i++;
                    while (i < s.Length)
                    {
                        if (s[i] == '"' && verbatim && i + 1 < s.Length && s[i + 1] == '"')
                        {
                            text.Append('"');
                            i += 2;
                        }
                        else if (s[i] == '"')
                        {
                            i++;
                            break;
                        }
                        else if (s[i] == '\\' && !verbatim && i + 1 < s.Length)
                        {
                            text.Append(s, i, 2);
                            i += 2;
                        }
                        else
                        {
                            text.Append(s[i]);
                            i++;
                        }
                    }
                }
                line += s.AsSpan(start, i - start).Count('\n');
                yield return (startLine, text.ToString());
            }
            else
            {
                i++;
            }
        }
    }

    private static string Shorten(string literal) => literal.Length > 80 ? literal[..80] + "…" : literal;

    // <div, </p>, <!doctype, <br/>: an HTML or SVG element right after '<' ("<", "<=", "a < b" and a usage line's
    // "<file-or-folder>" are not tags).
    [GeneratedRegex(@"<(/|!)?(!doctype|html|head|body|title|meta|link|script|style|main|aside|header|footer|nav|section|article|div|span|p|a|ul|ol|li|dl|dt|dd|h[1-6]|pre|code|strong|em|b|i|small|br|hr|img|iframe|noscript|table|thead|tbody|tr|th|td|form|input|select|option|textarea|button|label|fieldset|legend|details|summary|time|svg|path|circle|ellipse|line|rect|text|g|title)(\s|>|/>|$)", RegexOptions.IgnoreCase)]
    private static partial Regex Tag();

    [GeneratedRegex(@"&(amp|lt|gt|quot|nbsp|#x?[0-9a-fA-F]+);")]
    private static partial Regex Entity();

    [GeneratedRegex(@"\b(style|class|href|src|onclick|onload|aria-[a-z]+|data-[a-z-]+)\s*=\s*[""']")]
    private static partial Regex Attribute();

    // selector { property: value } (a rule), as in a stylesheet.
    [GeneratedRegex(@"[a-zA-Z0-9\]\)*]\s*\{\s*[a-z-]+\s*:\s*[^;{}]+;?\s*(\}|[a-z-]+\s*:)")]
    private static partial Regex CssRule();

    // A stylesheet built piece by piece (Rule("body", ("background", value))): a CSS property, or a declaration, as a
    // literal of its own. Custom properties (--ehr-background) carry values, not rules, and pass.
    [GeneratedRegex(@"^\s*(background(-color)?|color|font(-family|-size|-weight)?|border(-(top|right|bottom|left))?(-(color|width|style))?|outline(-(color|width|style|offset))?|text-decoration|box-shadow)\s*(:.*)?$")]
    private static partial Regex CssProperty();

    // ...and its selectors: element lists (h1,h2), element.class (button.secondary), compound classes in a list or before
    // a brace (.msg.error,.summary.bad; a lone .answer.value is a FHIRPath),
    // pseudo-classes (:focus-visible; :root, where custom properties are set, passes).
    [GeneratedRegex(@"^\s*((h[1-6]|body|button|legend|label|input|select|textarea|fieldset)\s*,\s*[\w.#\s,>-]+|(h[1-6]|body|button|legend|label|input|select|textarea|fieldset|li|ul|p|a|div|span)(\.[a-z][\w-]*)+|\.[a-z][\w-]*\.[a-z][\w-]*[\w.#\s>-]*((,[\w.#\s>-]+)+|\s*\{)|[\w.#\s-]*:(focus|focus-visible|focus-within|hover|active|visited|checked|disabled|first-child|last-child)\b[\w.#\s,>:-]*)\s*\{?\s*$")]
    private static partial Regex CssSelector();

    [GeneratedRegex(@"\bfunction\s*\(|\bdocument\.[a-zA-Z]+|addEventListener\(|'use strict'|=>\s*\{\s*(var|let|const)\s")]
    private static partial Regex Script();
}
