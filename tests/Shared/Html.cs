using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace Rhizotomy.Tests.Shared;

/// <summary>Server-rendered pages read the way a browser reads them (AngleSharp's HTML5 parser), not with regexes.</summary>
public static class Html
{
    /// <summary>The page as a document (entities decoded, attributes in any order, the parser's error recovery).</summary>
    public static IHtmlDocument Parse(string html) => new HtmlParser().ParseDocument(html);

    /// <summary>The text of the first element matching <paramref name="selector"/>, or null when there is none.</summary>
    public static string? Text(string html, string selector) => Parse(html).QuerySelector(selector)?.TextContent;

    /// <summary>Whether the element with that id carries the <c>hidden</c> attribute; null when the page has no such element.</summary>
    public static bool? Hidden(string html, string id) => Parse(html).GetElementById(id)?.HasAttribute("hidden");

    /// <summary>The text of the <c>dd</c> that follows the <c>dt</c> reading <paramref name="term"/>, or null.</summary>
    public static string? Definition(IParentNode page, string term) =>
        page.QuerySelectorAll("dt").FirstOrDefault(dt => dt.TextContent == term)?.NextElementSibling is { LocalName: "dd" } dd ? dd.TextContent : null;
}
