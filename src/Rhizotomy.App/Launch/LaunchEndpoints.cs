using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Rhizotomy.App.Hosting;
using Rhizotomy.App.Sessions;
using Rhizotomy.App.Ui;

namespace Rhizotomy.App.Launch;

/// <summary>SMART App Launch: <c>/launch</c> (EHR and standalone), <c>/callback</c>, and the app's JWKS.</summary>
public static partial class LaunchEndpoints
{
    public static WebApplicationBuilder AddLaunch(this WebApplicationBuilder builder)
    {
        AddSmartClients(builder.Services);
        builder.Services.AddSingleton<IdTokenValidator>();
        return builder;
    }

    /// <summary>
    /// SMART discovery, the app's client keys and the token client, for the app and for <c>rhizotomy ehr-check</c> alike.
    /// Discovery and token calls go through the gateway's resilience pipeline: GETs are retried, POSTs to the token
    /// endpoint never are (a code is good once), and each attempt and the whole call have a time limit.
    /// </summary>
    public static IServiceCollection AddSmartClients(IServiceCollection services)
    {
        services.AddSingleton<SmartDiscovery>();
        services.AddSingleton<ClientKeys>();
        services.AddSingleton<TokenClient>();
        Ehr.EhrGateway.AddResilience(services.AddHttpClient(SmartDiscovery.HttpClientName));
        Ehr.EhrGateway.AddResilience(services.AddHttpClient(TokenClient.HttpClientName));
        return services;
    }

    public static IEndpointRouteBuilder MapLaunch(this IEndpointRouteBuilder app)
    {
        app.MapGet("/launch", LaunchAsync).Traced("launch", launchStep: "launch");
        app.MapGet("/callback", CallbackAsync).Traced("launch callback", launchStep: "callback");
        app.MapGet("/.well-known/jwks.json", (ClientKeys keys) => Results.Content(keys.JwksJson(), "application/json"));
        return app;
    }

    private static async Task<IResult> LaunchAsync(HttpContext context, SmartDiscovery discovery, SessionStore store, SessionAccess access, IOptions<AppOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var iss = context.Request.Query["iss"].FirstOrDefault();
        var launch = context.Request.Query["launch"].FirstOrDefault();
        var ehr = options.Value.Find(iss);
        if (ehr is null)
            return Pages.Error(StatusCodes.Status400BadRequest, "This EHR is not set up for the app",
                "The app was opened from an EHR address it has no registration for, so it did not contact it.",
                "Ask your integration team to register this EHR with the app (see the app's README), then open the app from the EHR again.");

        var config = await discovery.DiscoverAsync(ehr, ct);
        if (config is null || !IsHttpUrl(config.AuthorizationEndpoint) || !IsHttpUrl(config.TokenEndpoint))
            return Pages.Error(StatusCodes.Status502BadGateway, "The EHR's sign-in could not be found",
                "The app could not read the EHR's sign-in settings (its SMART configuration): the EHR did not answer, or answered with an error.",
                TryAgainLater);

        var browserId = await access.BrowserKeyForLaunchAsync(context, ct);
        var standalone = string.IsNullOrEmpty(launch);
        var verifier = SessionStore.NewId(32);
        var state = SessionStore.NewId(32);
        var nonce = SessionStore.NewId(16);
        var scope = Scopes.Request(ehr, config, standalone);
        await store.SavePendingAsync(state, new PendingAuthorization(ehr.Issuer, browserId, verifier, nonce, scope, standalone, clock.GetUtcNow()), ct);

        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = ehr.ClientId,
            ["redirect_uri"] = options.Value.RedirectUri.ToString(),
            ["scope"] = scope,
            ["state"] = state,
            ["aud"] = ehr.Issuer,
            ["code_challenge"] = SessionStore.Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))),
            ["code_challenge_method"] = "S256",
            ["nonce"] = nonce,
        };
        if (!standalone)
            query["launch"] = launch;
        return Results.Redirect(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(config.AuthorizationEndpoint!, query));
    }

    private static async Task<IResult> CallbackAsync(
        HttpContext context, SmartDiscovery discovery, SessionStore store, SessionAccess access, TokenClient tokens, IdTokenValidator idTokens,
        IOptions<AppOptions> options, TimeProvider clock, ILoggerFactory logs, Audit.AuditTrail audit, CancellationToken ct)
    {
        var log = logs.CreateLogger("Rhizotomy.App.Launch");
        var state = context.Request.Query["state"].FirstOrDefault();
        if (string.IsNullOrEmpty(state) || state.Length > 200)
            return Pages.Error(StatusCodes.Status400BadRequest, "This sign-in cannot be completed", "The EHR's answer carries no valid state.", Pages.Relaunch);

        var pending = await store.TakePendingAsync(state, ct);
        var browser = await store.BrowserAsync(access.Cookie(context), ct);
        if (pending is null || browser is null || !browser.Keys.Any(k => SessionStore.FixedTimeEquals(pending.BrowserId, k)))
        {
            log.LogWarning("Callback with an unknown, used or foreign state");
            return Pages.Error(StatusCodes.Status400BadRequest, "This sign-in link has expired or was already used",
                "For your safety each sign-in can be completed once, in the browser that started it.", Pages.Relaunch);
        }

        // RFC 9207: the authorization server names itself in its answer; an answer from another server (a mix-up) is refused.
        var ehrOfPending = options.Value.Find(pending.Issuer);
        var configOfPending = ehrOfPending is null ? null : await discovery.DiscoverAsync(ehrOfPending, ct);
        if (!IssuerMatches(context.Request.Query["iss"].FirstOrDefault(), configOfPending))
        {
            log.LogWarning("Callback refused: the authorization response's iss is not the EHR's authorization server");
            Security.SecurityEvents.Log(log, Security.SecurityEvents.AccessRefused, "authorization response from another issuer (RFC 9207)");
            return Pages.Error(StatusCodes.Status400BadRequest, "This sign-in cannot be completed",
                "The answer did not come from the EHR's own sign-in service, so the app did not use it.", Pages.Relaunch);
        }

        var error = context.Request.Query["error"].FirstOrDefault();
        if (error is not null)
        {
            var code = ErrorCode().IsMatch(error) ? error : "error";
            log.LogInformation("Authorization ended with {Error}", code);
            return code == "access_denied"
                ? Pages.Error(StatusCodes.Status403Forbidden, "Access was not granted",
                    "The app needs your permission to read this patient's chart.", "Open the app again from the EHR and allow access when asked.")
                : Pages.Error(StatusCodes.Status400BadRequest, "The EHR did not complete the sign-in",
                    $"The EHR answered \"{code}\".", Pages.Relaunch);
        }

        var authorizationCode = context.Request.Query["code"].FirstOrDefault();
        var ehr = options.Value.Find(pending.Issuer);
        var config = ehr is null ? null : await discovery.DiscoverAsync(ehr, ct);
        if (string.IsNullOrEmpty(authorizationCode) || ehr is null || config?.TokenEndpoint is null)
            return Pages.Error(StatusCodes.Status400BadRequest, "This sign-in cannot be completed", "The EHR's answer carries no authorization code.", Pages.Relaunch);

        SmartTokenResponse token;
        try
        {
            token = await tokens.ExchangeCodeAsync(ehr, config.TokenEndpoint, authorizationCode, pending.CodeVerifier, ct);
        }
        catch (Exception e) when (e is TokenRequestException or HttpRequestException or TaskCanceledException)
        {
            log.LogWarning("Token exchange failed: {Error}", e is TokenRequestException t ? t.Error : e.GetType().Name);
            return Pages.Error(StatusCodes.Status502BadGateway, "The EHR did not issue access",
                "The app could not exchange your sign-in for access to the chart: the EHR's sign-in service did not answer, or refused.", TryAgainLater);
        }

        string? fhirUser = null;
        if (token.IdToken is not null)
        {
            try
            {
                fhirUser = await idTokens.ValidateAsync(token.IdToken, ehr, config, pending.Nonce, ct);
            }
            catch (Exception e) when (e is SecurityTokenException or HttpRequestException or ArgumentException)
            {
                // Only the app's own messages: a library's or an HTTP error's message may quote the token or a URL.
                log.LogWarning("id_token rejected: {Error}", e is SecurityTokenException ? e.Message : e.GetType().Name);
                return Pages.Error(StatusCodes.Status502BadGateway, "Your identity could not be verified",
                    "The EHR's identity token did not pass the app's checks, so the app will not document under it.", Pages.Relaunch);
            }
        }

        // Without the chart the app can show nothing true: say so now, not as an empty case page.
        var missingReads = Scopes.MissingForChart(new GrantedScopes(token.Scope ?? pending.RequestedScope));
        if (missingReads.Count > 0)
        {
            log.LogInformation("Launch refused: the grant does not cover {MissingCount} of the chart reads", missingReads.Count);
            return Pages.Error(StatusCodes.Status403Forbidden, "The app was not given access to the chart",
                $"The EHR did not grant the app permission to read {Scopes.Words(missingReads)}, which it needs to show the case.",
                "Open the app again from the patient's chart and allow access to the patient's record when asked. If the EHR offers no such choice, ask your EHR administrator to grant the app the permissions listed in its registration.");
        }

        if (token.Patient is null)
            return Pages.Error(StatusCodes.Status400BadRequest, "No patient was chosen",
                "The EHR gave the app no patient context.", "Open the app from a patient's chart (or pick a patient when asked).");
        // The ids go into FHIR URLs: only what FHIR allows for an id.
        var encounter = token.Encounter ?? token.FhirContext.FirstOrDefault(c => c.StartsWith("Encounter/", StringComparison.Ordinal))?["Encounter/".Length..];
        if (!FhirId().IsMatch(token.Patient) || (encounter is not null && !FhirId().IsMatch(encounter)))
            return Pages.Error(StatusCodes.Status502BadGateway, "The EHR's launch context is not usable",
                "The patient or encounter the EHR named is not a valid FHIR id.", "Tell your EHR support team; then open the app again.");

        var launchId = SessionStore.NewId(24);
        // A fresh browser id for this sign-in: whatever cookie the browser came with stops working now.
        var browserId = await access.SignInAsync(context, pending.BrowserId, launchId, ct);
        if (browserId is null)
            return Pages.Error(StatusCodes.Status400BadRequest, "This sign-in link has expired or was already used",
                "For your safety each sign-in can be completed once, in the browser that started it.", Pages.Relaunch);
        var now = clock.GetUtcNow();
        var session = new LaunchSession
        {
            LaunchId = launchId,
            BrowserId = browserId,
            Issuer = ehr.Issuer,
            TokenEndpoint = config.TokenEndpoint,
            AccessToken = token.AccessToken,
            RefreshToken = token.RefreshToken,
            AccessTokenExpiresAt = now.AddSeconds(token.ExpiresIn > 0 ? token.ExpiresIn : 300),
            // RFC 6749 5.1: no scope in the answer means the requested scope was granted.
            GrantedScope = token.Scope ?? pending.RequestedScope,
            Patient = token.Patient,
            Encounter = encounter,
            FhirContext = token.FhirContext,
            NeedPatientBanner = token.NeedPatientBanner ?? true,
            SmartStyleUrl = token.SmartStyleUrl,
            FhirUser = Relative(fhirUser, ehr.Issuer),
            Standalone = pending.Standalone,
            CreatedAt = now,
        };
        await store.SaveAsync(session, ct);
        await audit.RecordAsync(session, Audit.AuditActions.OpenCase, null, ct);
        log.LogInformation("Launch completed ({Kind}, {AuthMethod})", pending.Standalone ? "standalone" : "ehr", ehr.AuthMethod);
        Security.SecurityEvents.Log(log, Security.SecurityEvents.SignIn, pending.Standalone ? "standalone launch" : "EHR launch");
        return Results.Redirect("/s/" + launchId);
    }

    /// <summary>
    /// RFC 9207: an <c>iss</c> in the authorization response must be the server's issuer from its discovery
    /// document; a server that says it always sends one (<c>authorization_response_iss_parameter_supported</c>)
    /// must have sent it. A server that names no issuer and sends none passes (nothing to compare).
    /// </summary>
    public static bool IssuerMatches(string? iss, SmartConfiguration? config)
    {
        if (iss is null)
            return config?.IssParameterSupported != true;
        return config?.Issuer is { Length: > 0 } expected && string.Equals(iss, expected, StringComparison.Ordinal);
    }

    /// <summary><c>fhirUser</c> on this EHR becomes relative (readable with the token); elsewhere it stays absolute and is not read.</summary>
    public static string? Relative(string? fhirUser, string fhirBase)
    {
        if (fhirUser is null)
            return null;
        var prefix = fhirBase.TrimEnd('/') + "/";
        if (fhirUser.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            return fhirUser[prefix.Length..];
        return fhirUser;
    }

    private const string TryAgainLater = "Wait a minute, then open the app again from the patient's chart in the EHR. If it keeps happening, tell your EHR support team.";

    private static bool IsHttpUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp);

    [GeneratedRegex("^[a-z_]{1,40}$")]
    private static partial Regex ErrorCode();

    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$")]
    private static partial Regex FhirId();
}
