using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using Sandbox.Ehr.Fhir;
using Sandbox.Ehr.Launcher;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Sandbox.Ehr.Auth;

/// <summary>
/// The authorize step after OpenIddict checked client, redirect URI, response type and PKCE:
/// SMART's <c>aud</c> and <c>launch</c>, the user and patient, consent, and the granted scopes.
/// </summary>
internal static partial class AuthorizeEndpoint
{
    private const string DecisionField = "sandbox_decision";
    private const string PractitionerField = "sandbox_practitioner";
    private const string PatientField = "sandbox_patient";
    private const string WithholdField = "sandbox_withhold";
    private const string LaunchScope = "launch";
    private const string LaunchPatientScope = "launch/patient";
    private const string LaunchEncounterScope = "launch/encounter";

    public static void MapAuthorizeEndpoint(this WebApplication app) =>
        app.MapMethods(SmartUrls.AuthorizePath, [HttpMethods.Get, HttpMethods.Post], HandleAsync).ExcludeFromDescription();

    private static async Task<IResult> HandleAsync(
        HttpContext http, SmartUrls urls, SmartClients clients, LaunchContexts launches,
        IOptions<SandboxAuthOptions> settings, IAntiforgery antiforgery)
    {
        var request = http.GetOpenIddictServerRequest();
        if (request is null || clients.Find(request.ClientId) is not { } client)
        {
            return Results.BadRequest();
        }

        var options = settings.Value;
        // This server's FHIR base, or another server's it authorizes for (Sandbox:ExternalFhirBases).
        var fhirBase = options.FhirBaseFor((string?)request["aud"], urls.FhirBase(http));
        if (fhirBase is null)
        {
            return OAuthError.Reject(Errors.InvalidRequest, "The aud parameter must be this server's FHIR base URL.");
        }

        var requested = request.GetScopes();
        LaunchContext? launch = null;
        var launchId = (string?)request["launch"];
        if (!string.IsNullOrEmpty(launchId))
        {
            launch = launches.Resolve(launchId, client.ClientId);
            if (launch is null)
            {
                return OAuthError.Reject(Errors.InvalidRequest, "The launch is unknown, expired, already used or made for another app: start again from the EHR.");
            }
        }
        else if (requested.Contains(LaunchScope))
        {
            return OAuthError.Reject(Errors.InvalidRequest, "The launch scope needs the launch parameter of an EHR launch.");
        }

        var granted = SmartClients.Narrow(requested, client);
        // A standalone launch by a patient (Sandbox:StandaloneUser=patient): the user is the patient,
        // who reaches only their own record, so user/ and system/ scopes are not granted.
        var patientUser = launch is null && options.PatientSignsInStandalone;
        if (patientUser)
        {
            granted = [.. granted.Where(scope => !scope.StartsWith("user/", StringComparison.Ordinal) && !scope.StartsWith("system/", StringComparison.Ordinal))];
        }

        var wantsPatient = launch is null && (patientUser || granted.Contains(LaunchPatientScope));
        var wantsEncounter = launch is null && granted.Contains(LaunchEncounterScope);

        string practitioner;
        var patient = launch?.PatientId;
        if (options.AutoApprove)
        {
            practitioner = launch?.PractitionerId ?? options.StandalonePractitioner;
            if (wantsPatient)
            {
                patient = options.StandalonePatient;
            }
        }
        else
        {
            var form = HttpMethods.IsPost(http.Request.Method) && http.Request.HasFormContentType ? await http.Request.ReadFormAsync() : null;
            if (form is null || string.IsNullOrEmpty(form[DecisionField]))
            {
                return await ConsentPageAsync(http, antiforgery, request, client, granted, launch, wantsPatient, patientUser);
            }

            if (!await antiforgery.IsRequestValidAsync(http))
            {
                return Results.BadRequest();
            }

            if (!string.Equals(form[DecisionField], "approve", StringComparison.Ordinal))
            {
                if (launch is not null)
                {
                    launches.Consume(launchId!, client.ClientId);
                }

                return OAuthError.Reject(Errors.AccessDenied, "The user denied the request.");
            }

            // The user may grant less than the client may have (as real EHRs let them): the app must cope with the narrower grant.
            var withheld = form[WithholdField].Where(w => w is not null).ToHashSet(StringComparer.Ordinal);
            granted = [.. granted.Where(scope => !withheld.Contains(scope))];

            practitioner = launch?.PractitionerId ?? form[PractitionerField].ToString();
            if (wantsPatient)
            {
                patient = form[PatientField].ToString();
            }

            if ((!patientUser && !IsFhirId(practitioner)) || (wantsPatient && !IsFhirId(patient)))
            {
                return OAuthError.Reject(Errors.InvalidRequest, "Choose a practitioner and a patient.");
            }
        }

        // Single use: of two authorizations racing with one launch id, only the first gets a code.
        if (launch is not null && !launches.Consume(launchId!, client.ClientId))
        {
            return OAuthError.Reject(Errors.InvalidRequest, "The launch was already used: start again from the EHR.");
        }

        var encounter = launch is not null ? launch.EncounterId : wantsEncounter && patient is not null ? patient + "-surgery" : null;

        var identity = TokenClaims.NewIdentity();
        identity.SetClaim(Claims.Subject, patientUser ? patient : practitioner);
        identity.SetClaim(SmartClaims.FhirUser, patientUser ? $"{fhirBase}/Patient/{patient}" : $"{fhirBase}/Practitioner/{practitioner}");
        identity.SetClaim(SmartClaims.Patient, patient);
        identity.SetClaim(SmartClaims.Encounter, encounter);
        identity.SetClaim(SmartClaims.NeedPatientBanner, (launch?.NeedPatientBanner ?? true) ? "true" : "false");
        identity.SetClaim(SmartClaims.SmartStyleUrl, urls.Origin(http) + SmartUrls.StylePath);
        identity.SetScopes(granted);
        identity.SetResources(fhirBase);
        TokenClaims.SetDestinations(identity);

        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static bool IsFhirId(string? value) => value is not null && FhirId().IsMatch(value);

    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$")]
    private static partial Regex FhirId();

    /// <summary>Sign-in (pick the practitioner), patient picker and consent on one page; it posts back here.</summary>
    private static async Task<IResult> ConsentPageAsync(
        HttpContext http, IAntiforgery antiforgery, OpenIddictRequest request, SmartClientRegistration client,
        IReadOnlyList<string> granted, LaunchContext? launch, bool wantsPatient, bool patientUser)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        var store = http.RequestServices.GetService<IFhirStore>();
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Authorize ")
            .Append(E(client.DisplayName ?? client.ClientId)).Append("</title></head><body><main>")
            .Append("<h1>").Append(E(client.DisplayName ?? client.ClientId)).Append(" asks for access</h1>")
            .Append("<form method=\"post\" action=\"").Append(E(SmartUrls.AuthorizePath)).Append("\">");

        foreach (var (name, value) in request.GetParameters())
        {
            if (!name.StartsWith("sandbox_", StringComparison.Ordinal) && name != tokens.FormFieldName && (string?)value is { } text)
            {
                html.Append("<input type=\"hidden\" name=\"").Append(E(name)).Append("\" value=\"").Append(E(text)).Append("\">");
            }
        }

        html.Append("<input type=\"hidden\" name=\"").Append(E(tokens.FormFieldName)).Append("\" value=\"").Append(E(tokens.RequestToken ?? "")).Append("\">");

        if (launch is null && !patientUser)
        {
            html.Append("<p><label>Sign in as ");
            await AppendChoiceAsync(html, store, "Practitioner", PractitionerField);
            html.Append("</label></p>");
        }
        else if (launch is not null)
        {
            html.Append("<p>Signed in as Practitioner/").Append(E(launch.PractitionerId)).Append("</p>");
        }

        if (wantsPatient)
        {
            html.Append(patientUser ? "<p><label>Sign in as patient " : "<p><label>Patient ");
            await AppendChoiceAsync(html, store, "Patient", PatientField);
            html.Append("</label></p>");
        }

        html.Append("<h2>Requested scopes</h2><ul>");
        foreach (var scope in request.GetScopes())
        {
            html.Append("<li>").Append(E(scope)).Append(granted.Contains(scope) ? "" : " (not allowed for this client)").Append("</li>");
        }

        html.Append("</ul>");
        var withholdable = granted.Where(scope => scope.Contains('/') && !scope.StartsWith(LaunchScope, StringComparison.Ordinal)).ToList();
        if (withholdable.Count > 0)
        {
            html.Append("<fieldset><legend>Withhold permissions (grant less than asked)</legend>");
            foreach (var scope in withholdable)
            {
                html.Append("<label><input type=\"checkbox\" name=\"").Append(WithholdField).Append("\" value=\"").Append(E(scope)).Append("\"> ")
                    .Append(E(scope)).Append("</label><br>");
            }

            html.Append("</fieldset>");
        }

        html.Append("<button type=\"submit\" name=\"").Append(DecisionField).Append("\" value=\"approve\">Approve</button> ")
            .Append("<button type=\"submit\" name=\"").Append(DecisionField).Append("\" value=\"deny\">Deny</button></form></main></body></html>");

        http.Response.Headers.CacheControl = "no-store";
        return Results.Content(html.ToString(), "text/html; charset=utf-8");
    }

    private static async Task AppendChoiceAsync(StringBuilder html, IFhirStore? store, string resourceType, string field)
    {
        var resources = store is null ? [] : await store.SearchAsync(resourceType, "");
        if (resources.Count == 0)
        {
            html.Append("<input name=\"").Append(field).Append("\" required>");
            return;
        }

        html.Append("<select name=\"").Append(field).Append("\">");
        foreach (var resource in resources)
        {
            html.Append("<option value=\"").Append(E(resource.Id)).Append("\">").Append(E(ChartText.Label(resource))).Append("</option>");
        }

        html.Append("</select>");
    }

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
}
