using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;

namespace Sandbox.Ehr.Launcher;

/// <summary>
/// An EHR screen that shows the app the way many EHRs do: in an iframe (800 px wide by default) on the EHR's
/// own origin. The frame opens the launcher's EHR launch, so the app runs in a frame of another origin.
/// </summary>
public static partial class EmbedPage
{
    public static WebApplication MapEmbedPage(this WebApplication app)
    {
        app.MapGet("/launcher/embed", (string? practitioner, string? patient, string? encounter, string? app, int? width) =>
        {
            if (!Id(practitioner) || !Id(patient) || (!string.IsNullOrEmpty(encounter) && !Id(encounter)))
                return Results.BadRequest("Give a practitioner, a patient and optionally an encounter, as FHIR ids.");
            var query = new Dictionary<string, string?> { ["practitioner"] = practitioner, ["patient"] = patient };
            if (!string.IsNullOrEmpty(encounter))
                query["encounter"] = encounter;
            if (!string.IsNullOrEmpty(app))
                query["app"] = app;
            var src = QueryHelpers.AddQueryString("/launcher/launch", query);
            var w = width is >= 320 and <= 2000 ? width.Value : 800;
            var html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sandbox EHR: embedded app</title></head><body style=\"margin:0;font-family:sans-serif\">"
                + "<header style=\"background:#234;color:#fff;padding:8px 12px\">Sandbox EHR: chart of " + WebUtility.HtmlEncode(patient) + "</header>"
                + $"<iframe id=\"app\" title=\"Operative note app\" src=\"{WebUtility.HtmlEncode(src)}\" style=\"width:{w}px;height:900px;border:1px solid #888\"></iframe>"
                + "</body></html>";
            return Results.Content(html, "text/html; charset=utf-8");
        }).ExcludeFromDescription();
        return app;
    }

    private static bool Id(string? value) => value is not null && FhirId().IsMatch(value);

    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$")]
    private static partial Regex FhirId();
}
