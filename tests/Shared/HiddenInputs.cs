using AngleSharp.Html.Dom;

namespace Rhizotomy.Tests.Shared;

/// <summary>Reads a server-rendered form the way a browser would submit it (the sandbox's consent page).</summary>
public static class HiddenInputs
{
    /// <summary>The hidden inputs of the page that have a name, decoded, ready to post back.</summary>
    public static Dictionary<string, string> Of(string html) =>
        Html.Parse(html).QuerySelectorAll("input[type=hidden][name]").OfType<IHtmlInputElement>()
            .ToDictionary(i => i.Name!, i => i.GetAttribute("value") ?? "");
}
