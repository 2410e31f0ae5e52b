using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Sandbox.Ehr.Auth;
using Sandbox.Ehr.Fhir;

namespace Sandbox.Ehr.Launcher;

/// <summary>
/// The sandbox's EHR screens: pick a practitioner, patient and encounter and launch the app (EHR
/// launch), and look at a patient's chart to see what the app wrote. Every chart string is HTML-encoded.
/// </summary>
public static partial class LauncherExtensions
{
    /// <summary>Resource types shown in a patient's chart (searched with <c>patient=</c>).</summary>
    private static readonly string[] CompartmentTypes =
    [
        "Encounter", "Condition", "Procedure", "MedicationStatement", "MedicationRequest", "Observation",
        "DiagnosticReport", "ImagingStudy", "Composition", "DocumentReference", "QuestionnaireResponse", "Provenance",
    ];

    public static WebApplicationBuilder AddLauncher(this WebApplicationBuilder builder) => builder;

    public static WebApplication MapLauncher(this WebApplication app)
    {
        var launcher = app.MapGroup("/launcher").ExcludeFromDescription();
        launcher.MapGet("", HomeAsync);
        launcher.MapGet("/launch", LaunchAsync);
        launcher.MapGet("/patient/{id}", ChartAsync);
        return app;
    }

    private static async Task<IResult> HomeAsync(HttpContext http, [FromServices] IFhirStore store, SmartClients clients, SmartUrls urls, CancellationToken cancellationToken)
    {
        var practitioners = await store.SearchAsync("Practitioner", "", cancellationToken);
        var patients = await store.SearchAsync("Patient", "", cancellationToken);
        var fhirBase = urls.FhirBase(http);
        var apps = clients.All.Where(c => c.LaunchUrl is not null).Select(c => c.LaunchUrl!).Distinct(StringComparer.Ordinal).ToList();

        var html = Page("Sandbox EHR launcher");
        html.Append("<h1>Sandbox EHR</h1><form method=\"get\" action=\"/launcher/launch\"><p><label>Signed-in practitioner <select name=\"practitioner\">");
        foreach (var practitioner in practitioners)
        {
            html.Append("<option value=\"").Append(E(practitioner.Id)).Append("\">").Append(E(ChartText.Label(practitioner))).Append("</option>");
        }

        html.Append("</select></label> <label>App <select name=\"app\">");
        foreach (var launchUrl in apps)
        {
            html.Append("<option>").Append(E(launchUrl)).Append("</option>");
        }

        html.Append("</select></label> <label><input type=\"checkbox\" name=\"need_patient_banner\" value=\"false\"> EHR shows the patient banner</label></p>")
            .Append("<table><thead><tr><th>Patient</th><th>Encounters</th><th></th></tr></thead><tbody>");
        foreach (var patient in patients)
        {
            var encounters = await store.SearchAsync("Encounter", "patient=" + Uri.EscapeDataString(patient.Id ?? ""), cancellationToken);
            html.Append("<tr><td><a href=\"/launcher/patient/").Append(E(Uri.EscapeDataString(patient.Id ?? ""))).Append("\">")
                .Append(E(ChartText.Label(patient))).Append("</a></td><td>");
            foreach (var encounter in encounters)
            {
                html.Append("<button type=\"submit\" name=\"encounter\" value=\"").Append(E(encounter.Id))
                    .Append("\">Launch in ")
                    .Append(E(ChartText.Label(encounter))).Append("</button> ");
            }

            html.Append("</td><td><button type=\"submit\" name=\"patient\" value=\"").Append(E(patient.Id)).Append("\">Launch</button></td></tr>");
        }

        html.Append("</tbody></table></form><h2>Standalone launch</h2><ul>");
        foreach (var launchUrl in apps)
        {
            var standalone = QueryHelpers.AddQueryString(launchUrl, "iss", fhirBase);
            html.Append("<li><a href=\"").Append(E(standalone)).Append("\">").Append(E(standalone)).Append("</a></li>");
        }

        html.Append("</ul><p>FHIR base: <code>").Append(E(fhirBase)).Append("</code></p>");
        return Html(html);
    }

    private static async Task<IResult> LaunchAsync(
        HttpContext http, [FromServices] IFhirStore store, SmartClients clients, LaunchContexts launches, SmartUrls urls,
        IOptions<SandboxAuthOptions> options, string? practitioner, string? patient, string? encounter, string? app,
        string? need_patient_banner, string? iss, CancellationToken cancellationToken)
    {
        // The FHIR base the app is launched against: this server's, or another it authorizes for (Sandbox:ExternalFhirBases).
        var fhirBase = string.IsNullOrEmpty(iss) ? urls.FhirBase(http) : options.Value.FhirBaseFor(iss, urls.FhirBase(http));
        if (fhirBase is null)
        {
            return Problem("The iss is neither this server's FHIR base nor one in Sandbox:ExternalFhirBases.");
        }

        var launchUrl = string.IsNullOrEmpty(app) ? clients.Find(SmartClientRegistration.AppClientId)?.LaunchUrl : app;
        if (launchUrl is null || clients.FindByLaunchUrl(launchUrl) is null)
        {
            return Problem("The app is not a registered launch URL.");
        }

        encounter = string.IsNullOrEmpty(encounter) ? null : encounter;
        if (!IsFhirId(practitioner) || (!string.IsNullOrEmpty(patient) && !IsFhirId(patient)) || (encounter is not null && !IsFhirId(encounter)))
        {
            return Problem("Give a practitioner, a patient and optionally an encounter, as FHIR ids.");
        }

        if (await store.ReadAsync("Practitioner", practitioner!, cancellationToken) is null)
        {
            return Problem("No such practitioner.");
        }

        // An encounter button names only the encounter: its subject is the patient.
        if (encounter is not null)
        {
            var subject = (await store.ReadAsync("Encounter", encounter, cancellationToken) as Encounter)?.Subject?.Reference;
            if (subject is null || !subject.StartsWith("Patient/", StringComparison.Ordinal) ||
                (!string.IsNullOrEmpty(patient) && subject != "Patient/" + patient))
            {
                return Problem("No such encounter for this patient.");
            }

            patient = subject["Patient/".Length..];
        }

        if (!IsFhirId(patient) || await store.ReadAsync("Patient", patient!, cancellationToken) is null)
        {
            return Problem("No such patient.");
        }

        var banner = bool.TryParse(need_patient_banner, out var value) ? value : options.Value.NeedPatientBanner;
        // Bound to the apps registered at this launch URL: another client cannot redeem the launch id.
        var forClients = clients.All.Where(c => string.Equals(c.LaunchUrl, launchUrl, StringComparison.Ordinal)).Select(c => c.ClientId);
        var launch = launches.Create(practitioner!, patient, encounter, banner, forClients);
        var target = QueryHelpers.AddQueryString(launchUrl, new Dictionary<string, string?> { ["iss"] = fhirBase, ["launch"] = launch });
        http.Response.Headers.CacheControl = "no-store";
        return Results.Redirect(target);
    }

    private static async Task<IResult> ChartAsync(HttpContext http, [FromServices] IFhirStore store, SmartUrls urls, string id, CancellationToken cancellationToken)
    {
        // The chart bypasses SMART authorization: only the person at this machine may see it.
        if (http.Connection.RemoteIpAddress is not { } remote || !IPAddress.IsLoopback(remote))
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        if (!IsFhirId(id) || await store.ReadAsync("Patient", id, cancellationToken) is not Patient patient)
        {
            return Results.NotFound();
        }

        var resources = new List<Resource> { patient };
        foreach (var type in CompartmentTypes)
        {
            resources.AddRange(await store.SearchAsync(type, "patient=" + Uri.EscapeDataString(id), cancellationToken));
        }

        // A Provenance names the patient only through its targets: find those of the notes written here.
        var provenances = new Dictionary<string, Resource>(StringComparer.Ordinal);
        foreach (var document in resources.OfType<DocumentReference>().ToList())
        {
            foreach (var provenance in await store.SearchAsync("Provenance", "target=" + Uri.EscapeDataString("DocumentReference/" + document.Id), cancellationToken))
            {
                if (provenance.Id is not null && resources.All(resource => resource.TypeName != "Provenance" || resource.Id != provenance.Id))
                {
                    provenances.TryAdd(provenance.Id, provenance);
                }
            }
        }

        resources.AddRange(provenances.Values);

        if (http.Request.Headers.Accept.Any(accept => accept?.Contains("fhir+json", StringComparison.OrdinalIgnoreCase) == true))
        {
            var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Total = resources.Count };
            foreach (var resource in resources)
            {
                bundle.Entry.Add(new Bundle.EntryComponent
                {
                    FullUrl = $"{urls.FhirBase(http)}/{resource.TypeName}/{resource.Id}",
                    Resource = resource,
                    Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
                });
            }

            return Results.Text(new FhirJsonSerializer().SerializeToString(bundle), "application/fhir+json; charset=utf-8");
        }

        var html = Page("Chart " + ChartText.Name(patient.Name));
        html.Append("<h1>").Append(E(ChartText.Name(patient.Name))).Append("</h1><p>Patient/").Append(E(patient.Id))
            .Append(", born ").Append(E(patient.BirthDate)).Append(", ").Append(E(patient.Gender?.ToString())).Append("</p>");
        foreach (var group in resources.Skip(1).GroupBy(resource => resource.TypeName))
        {
            html.Append("<h2>").Append(E(group.Key)).Append(" (").Append(group.Count()).Append(")</h2><ul>");
            foreach (var resource in group)
            {
                html.Append("<li>").Append(E(ChartText.Summary(resource))).Append(" <small>").Append(E(resource.TypeName + "/" + resource.Id)).Append("</small>");
                if (ChartText.Content(resource) is { } content)
                {
                    // What the app wrote, readable in the EHR's chart (as text: an attachment's markup is never rendered).
                    html.Append("<pre>").Append(E(content)).Append("</pre>");
                }

                html.Append("</li>");
            }

            html.Append("</ul>");
        }

        return Html(html);
    }

    private static StringBuilder Page(string title) =>
        new StringBuilder("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
            .Append(E(title)).Append("</title><style>pre{white-space:pre-wrap;max-width:60rem;background:#f7f8fa;border:1px solid #c9d0d6;padding:8px}</style></head><body><main>");

    private static IResult Html(StringBuilder html) =>
        Results.Content(html.Append("</main></body></html>").ToString(), "text/html; charset=utf-8");

    private static IResult Problem(string message)
    {
        var outcome = new OperationOutcome();
        outcome.Issue.Add(new OperationOutcome.IssueComponent
        {
            Severity = OperationOutcome.IssueSeverity.Error,
            Code = OperationOutcome.IssueType.Invalid,
            Diagnostics = message,
        });
        return Results.Text(new FhirJsonSerializer().SerializeToString(outcome), "application/fhir+json; charset=utf-8", statusCode: StatusCodes.Status400BadRequest);
    }

    private static bool IsFhirId(string? value) => value is not null && FhirId().IsMatch(value);

    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$")]
    private static partial Regex FhirId();

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
}
