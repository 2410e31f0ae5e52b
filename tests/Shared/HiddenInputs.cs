using System.Net;
using System.Text.RegularExpressions;

namespace Rhizotomy.Tests.Shared;

/// <summary>Reads a server-rendered form the way a browser would submit it (the sandbox's consent page).</summary>
public static partial class HiddenInputs
{
    /// <summary>The hidden inputs of the page, decoded, ready to post back.</summary>
    public static Dictionary<string, string> Of(string html) =>
        HiddenInput().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]*)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenInput();
}
