using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Caching.Memory;
using Rhizotomy.App.Sessions;

namespace Rhizotomy.App.Form;

/// <summary>
/// The EHR's <c>smart_style_url</c> applied: its JSON (colours, fonts, sizes) read by the server, without the
/// token, only from the EHR's own origin, and served as a small same-origin stylesheet of the launch that holds
/// only CSS custom-property values (the rules are <c>wwwroot/ehr-style.css</c>). Every value is checked against a
/// strict pattern, so a style file cannot inject CSS.
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

    /// <summary>
    /// The launch's stylesheet for a SMART style JSON: only the values, as CSS custom properties on <c>:root</c>
    /// (<c>--ehr-background</c>, …), and only values that are plainly a colour, a font list or a size and keep AA
    /// contrast. The rules that use them are <c>wwwroot/ehr-style.css</c>, each falling back to the app's own value.
    /// </summary>
    public static string Css(JsonElement style)
    {
        var values = Values(style);
        return values.Count == 0 ? "" : ":root{" + string.Join(';', values.Select(v => v.Property + ":" + v.Value)) + "}\n";
    }

    /// <summary>The EHR's values that are kept, each with the custom property <c>wwwroot/ehr-style.css</c> reads it from.</summary>
    public static IReadOnlyList<(string Property, string Value)> Values(JsonElement style)
    {
        string? Get(string name, Regex pattern) =>
            style.ValueKind == JsonValueKind.Object && style.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            && v.GetString() is { Length: < 100 } s && pattern.IsMatch(s) ? s : null;
        var (background, text, highlight, error, success) = Accessible(
            Get("color_background", Colour()), Get("color_text", Colour()), Get("color_highlight", Colour()), Get("color_error", Colour()), Get("color_success", Colour()));
        (string Property, string? Value)[] all =
        [
            ("--ehr-background", background), ("--ehr-text", text), ("--ehr-highlight", highlight), ("--ehr-error", error), ("--ehr-success", success),
            ("--ehr-font-body", Get("font_family_body", Fonts())), ("--ehr-font-heading", Get("font_family_heading", Fonts())),
            ("--ehr-font-size", Get("dim_font_size", Size())),
        ];
        return [.. all.Where(v => v.Value is not null).Select(v => (v.Property, v.Value!))];
    }

    /// <summary>The app's own colours, used wherever the EHR's would fail WCAG 2.2 AA (the app's stylesheet has the same).</summary>
    public const string AppBackground = "#fff", AppText = "#1b1f24", AppHighlight = "#1a56db", AppButtonText = "#fff", AppError = "#b42318", AppSuccess = "#1e7b45";

    /// <summary>WCAG 2.2 AA: 4.5:1 for text (1.4.3), 3:1 for focus outlines and borders that carry meaning (1.4.11).</summary>
    public const double TextContrast = 4.5, NonTextContrast = 3.0;

    /// <summary>
    /// Keeps each EHR colour only where it keeps AA contrast against what it is drawn on (computed, WCAG relative
    /// luminance): text on the background (else the EHR's background with the app's text, else the app's pair),
    /// the button's white text on the highlight and the highlight as text and focus outline on the background,
    /// error and success borders on the background. A colour that fails is left out: the app's own stays.
    /// </summary>
    public static (string? Background, string? Text, string? Highlight, string? Error, string? Success) Accessible(
        string? background, string? text, string? highlight, string? error, string? success)
    {
        if (!Ratio(text ?? AppText, background ?? AppBackground, TextContrast))
        {
            if (Ratio(AppText, background ?? AppBackground, TextContrast))
                text = null;
            else if (Ratio(text ?? AppText, AppBackground, TextContrast))
                background = null;
            else
                (background, text) = (null, null);
        }
        var surface = background ?? AppBackground;
        // The highlight fills buttons (white text on it), is the secondary button's text and the focus outline on the page.
        if (highlight is not null && !(Ratio(AppButtonText, highlight, TextContrast) && Ratio(highlight, surface, TextContrast)))
            highlight = null;
        if (error is not null && !Ratio(error, surface, NonTextContrast))
            error = null;
        if (success is not null && !Ratio(success, surface, NonTextContrast))
            success = null;
        return (background, text, highlight, error, success);
    }

    private static bool Ratio(string foreground, string background, double minimum) =>
        Contrast(foreground, background) is { } ratio && ratio >= minimum;

    /// <summary>The WCAG contrast ratio of two CSS colours (a translucent foreground composited on the background); null when one cannot be read or the background is translucent.</summary>
    public static double? Contrast(string foreground, string background)
    {
        if (Rgba(background) is not { A: >= 1 } bg || Rgba(foreground) is not { } fg)
            return null;
        var (r, g, b) = (fg.R * fg.A + bg.R * (1 - fg.A), fg.G * fg.A + bg.G * (1 - fg.A), fg.B * fg.A + bg.B * (1 - fg.A));
        var l1 = Luminance(r, g, b);
        var l2 = Luminance(bg.R, bg.G, bg.B);
        return (Math.Max(l1, l2) + 0.05) / (Math.Min(l1, l2) + 0.05);
    }

    private static double Luminance(double r, double g, double b)
    {
        static double Channel(double c)
        {
            c /= 255;
            return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
        }
        return 0.2126 * Channel(r) + 0.7152 * Channel(g) + 0.0722 * Channel(b);
    }

    private static (double R, double G, double B, double A)? Rgba(string colour)
    {
        var c = colour.Trim();
        if (c.StartsWith('#'))
        {
            var hex = c[1..];
            if (hex.Length is 3 or 4)
                hex = string.Concat(hex.Select(ch => new string(ch, 2)));
            if (hex.Length is not (6 or 8))
                return null;
            int Byte(int i) => Convert.ToInt32(hex.Substring(i, 2), 16);
            return (Byte(0), Byte(2), Byte(4), hex.Length == 8 ? Byte(6) / 255.0 : 1);
        }
        var open = c.IndexOf('(');
        if (open < 0 || !c.EndsWith(')'))
            return null;
        var parts = c[(open + 1)..^1].Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is not (3 or 4))
            return null;
        double Part(string p, double scale) => p.EndsWith('%')
            ? double.Parse(p[..^1], System.Globalization.CultureInfo.InvariantCulture) / 100 * scale
            : double.Parse(p, System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            var alpha = parts.Length == 4 ? Part(parts[3], 1) : 1;
            return (Math.Clamp(Part(parts[0], 255), 0, 255), Math.Clamp(Part(parts[1], 255), 0, 255), Math.Clamp(Part(parts[2], 255), 0, 255), Math.Clamp(alpha, 0, 1));
        }
        catch (FormatException)
        {
            return null;
        }
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
