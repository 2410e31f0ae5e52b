using System.Text;

namespace Rhizotomy.Core.Notes;

/// <summary>
/// Renders a <see cref="NoteDocument"/> as plain text, as an HTML page and as XHTML narrative.
/// Every string that came from a person or a chart is cleaned of characters XML cannot carry and
/// escaped, so a hostile value can neither break the markup nor inject any.
/// </summary>
public static class NoteRendering
{
    private const string XhtmlNamespace = "http://www.w3.org/1999/xhtml";

    /// <summary>The note as a surgeon would type it: title, header, headed sections, signature.</summary>
    public static string Text(NoteDocument document)
    {
        var text = new StringBuilder();
        text.Append(document.Title.ToUpperInvariant()).Append('\n');
        foreach (var line in document.Header) text.Append(Clean(line)).Append('\n');
        foreach (var section in document.Sections)
        {
            text.Append('\n').Append(section.Section.Title.ToUpperInvariant()).Append('\n');
            foreach (var line in section.Lines) text.Append(line.Bullet ? "- " : "").Append(Clean(line.Text)).Append('\n');
        }
        text.Append('\n').Append(Clean(document.Footer)).Append('\n');
        return text.ToString();
    }

    /// <summary>The note as a standalone HTML page (UTF-8), no scripts, no external resources.</summary>
    public static string Html(NoteDocument document)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>").Append(Escape(document.Title)).Append("</title>\n</head>\n<body>\n");
        html.Append("<h1>").Append(Escape(document.Title)).Append("</h1>\n");
        foreach (var line in document.Header) html.Append("<p>").Append(Escape(line)).Append("</p>\n");
        foreach (var section in document.Sections)
        {
            html.Append("<h2>").Append(Escape(section.Section.Title)).Append("</h2>\n");
            AppendLines(html, section.Lines);
        }
        html.Append("<p>").Append(Escape(document.Footer)).Append("</p>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>XHTML narrative of one section (a FHIR <c>Narrative.div</c>).</summary>
    public static string SectionDiv(NoteSectionText section)
    {
        var div = new StringBuilder();
        div.Append("<div xmlns=\"").Append(XhtmlNamespace).Append("\">");
        AppendLines(div, section.Lines);
        return div.Append("</div>").ToString();
    }

    /// <summary>XHTML narrative of a few paragraphs.</summary>
    public static string Div(params string[] paragraphs)
    {
        var div = new StringBuilder();
        div.Append("<div xmlns=\"").Append(XhtmlNamespace).Append("\">");
        foreach (var paragraph in paragraphs) div.Append("<p>").Append(Escape(paragraph)).Append("</p>");
        return div.Append("</div>").ToString();
    }

    private static void AppendLines(StringBuilder html, IReadOnlyList<NoteLine> lines)
    {
        var inList = false;
        foreach (var line in lines)
        {
            if (line.Bullet && !inList) { html.Append("<ul>"); inList = true; }
            if (!line.Bullet && inList) { html.Append("</ul>"); inList = false; }
            html.Append(line.Bullet ? "<li>" : "<p>").Append(Escape(line.Text)).Append(line.Bullet ? "</li>" : "</p>");
        }
        if (inList) html.Append("</ul>");
    }

    /// <summary>Escapes text for HTML and XHTML content and attributes.</summary>
    public static string Escape(string value)
    {
        var escaped = new StringBuilder(value.Length + 16);
        foreach (var c in Clean(value))
        {
            escaped.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => c.ToString(),
            });
        }
        return escaped.ToString();
    }

    /// <summary>Drops characters XML 1.0 cannot carry (control characters, unpaired surrogates); tabs and line breaks become spaces.</summary>
    public static string Clean(string value)
    {
        var clean = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                clean.Append(c).Append(value[++i]);
            }
            else if (c is '\t' or '\n' or '\r')
            {
                clean.Append(' ');
            }
            else if (!char.IsSurrogate(c) && !char.IsControl(c) && c is not ('\uFFFE' or '\uFFFF'))
            {
                clean.Append(c);
            }
        }
        return clean.ToString();
    }
}
