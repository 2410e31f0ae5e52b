using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Caching.Memory;
using Rhizotomy.App.Sessions;

namespace Rhizotomy.App.Form;

/// <summary>
/// The EHR's <c>smart_style_url</c> applied: its JSON (colours, fonts, sizes) read by the server, without the
/// token, only from the EHR's own origin, and served as a small same-origin stylesheet of the launch. Every
/// value is checked against a strict pattern, so a style file cannot inject CSS.
/// </summary>
public static partial class SmartStyle
{
    public static string Path(string launchId) => $"/s/{Uri.EscapeDataString(launchId)}/smart-style.css";

    public static IEndpointRouteBuilder MapSmartStyle(this IEndpointRouteBuilder app)
    {
        app.MapGet("/s/{launchId}/smart-style.css", async (LaunchScope bound, IHttpClientFactory http, IMemoryCache cache, ILoggerFactory logs, CancellationToken ct) =>
        {
            var session = bound.Session;
            var url = session.SmartStyleUrl;
            if (url is null || !SameOrigin(url, session.Issuer))
                return Results.Text("", "text/css");
            var css = await cache.GetOrCreateAsync("smart-style:" + url, async entry =>
            {
                entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10);
                try
                {
                    using var client = http.CreateClient();
                    client.Timeout = TimeSpan.FromSeconds(5);
                    using var style = JsonDocument.Parse(await client.GetStringAsync(url, ct));
                    return Css(style.RootElement);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException)
                {
                    logs.CreateLogger("Rhizotomy.App.Form.SmartStyle").LogWarning("The EHR's SMART style could not be read ({Error}); default styles are used", e.GetType().Name);
                    entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1);
                    return "";
                }
            });
            return Results.Text(css ?? "", "text/css");
        }).RequireLaunch(WhenNoLaunch.EmptyStylesheet);
        return app;
    }

    /// <summary>The stylesheet for a SMART style JSON: only values that are plainly a colour, a font list or a size.</summary>
    public static string Css(JsonElement style)
    {
        string? Get(string name, Regex pattern) =>
            style.ValueKind == JsonValueKind.Object && style.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            && v.GetString() is { Length: < 100 } s && pattern.IsMatch(s) ? s : null;
        var background = Get("color_background", Colour());
        var text = Get("color_text", Colour());
        var highlight = Get("color_highlight", Colour());
        var error = Get("color_error", Colour());
        var success = Get("color_success", Colour());
        var body = Get("font_family_body", Fonts());
        var heading = Get("font_family_heading", Fonts());
        var size = Get("dim_font_size", Size());
        var css = new StringBuilder();
        void Rule(string selector, params (string Property, string? Value)[] declarations)
        {
            var set = declarations.Where(d => d.Value is not null).ToList();
            if (set.Count == 0)
                return;
            css.Append(selector).Append('{').AppendJoin(';', set.Select(d => d.Property + ":" + d.Value)).Append("}\n");
        }
        Rule("body", ("background", background), ("color", text), ("font-family", body), ("font-size", size));
        Rule(".actions", ("background", background));
        Rule("h1,h2,h3,legend", ("font-family", heading));
        Rule("button", ("background", highlight), ("border-color", highlight));
        Rule("button.secondary", ("color", highlight), ("background", background));
        Rule(":focus-visible", ("outline-color", highlight));
        Rule(".msg.error,.summary.bad,.nerve-warnings li", ("border-color", error));
        Rule(".summary.ok", ("border-color", success));
        return css.ToString();
    }

    private static bool SameOrigin(string url, string issuer) =>
        Uri.TryCreate(url, UriKind.Absolute, out var a) && Uri.TryCreate(issuer, UriKind.Absolute, out var b)
        && a.Scheme is "https" or "http" && string.Equals(a.GetLeftPart(UriPartial.Authority), b.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"^(#[0-9a-fA-F]{3,8}|rgba?\(\s*[0-9.,%\s]+\))$", RegexOptions.None, 100)]
    private static partial Regex Colour();

    [GeneratedRegex(@"^[A-Za-z0-9 ,\-_""']{1,80}$", RegexOptions.None, 100)]
    private static partial Regex Fonts();

    [GeneratedRegex(@"^\d{1,3}(\.\d{1,2})?(px|em|rem|pt|%)$", RegexOptions.None, 100)]
    private static partial Regex Size();
}
