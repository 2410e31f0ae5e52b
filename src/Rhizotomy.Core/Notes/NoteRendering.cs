using System.Text;
using System.Xml.Linq;

namespace Rhizotomy.Core.Notes;

/// <summary>
/// Renders a <see cref="NoteDocument"/> as plain text, as an HTML page and as XHTML narrative.
/// The markup is built with System.Xml.Linq: every string that came from a person or a chart is cleaned of
/// characters XML cannot carry and is text to the XML writer, so a hostile value can neither break the markup
/// nor inject any.
/// </summary>
public static class NoteRendering
{
    private static readonly XNamespace X = "http://www.w3.org/1999/xhtml";

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
        var body = new XElement(X + "body",
            new XElement(X + "h1", Clean(document.Title)),
            document.Header.Select(line => new XElement(X + "p", Clean(line))),
            document.Sections.Select(section => new object[] { new XElement(X + "h2", Clean(section.Section.Title)), Lines(section.Lines) }),
            new XElement(X + "p", Clean(document.Footer)));
        var html = new XElement(X + "html", new XAttribute("lang", "en"),
            new XElement(X + "head", new XElement(X + "meta", new XAttribute("charset", "utf-8")), new XElement(X + "title", Clean(document.Title))),
            body);
        return new XDocument(new XDocumentType("html", null, null, null), html).ToString() + "\n";
    }

    /// <summary>XHTML narrative of one section (a FHIR <c>Narrative.div</c>).</summary>
    public static string SectionDiv(NoteSectionText section) =>
        new XElement(X + "div", Lines(section.Lines)).ToString(SaveOptions.DisableFormatting);

    /// <summary>XHTML narrative of a few paragraphs.</summary>
    public static string Div(params string[] paragraphs) =>
        new XElement(X + "div", paragraphs.Select(p => new XElement(X + "p", Clean(p)))).ToString(SaveOptions.DisableFormatting);

    // Paragraphs, and bullets gathered into lists.
    private static IEnumerable<XElement> Lines(IReadOnlyList<NoteLine> lines)
    {
        XElement? list = null;
        foreach (var line in lines)
        {
            if (!line.Bullet)
            {
                list = null;
                yield return new XElement(X + "p", Clean(line.Text));
                continue;
            }
            if (list is null)
            {
                list = new XElement(X + "ul");
                yield return list;
            }
            list.Add(new XElement(X + "li", Clean(line.Text)));
        }
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
