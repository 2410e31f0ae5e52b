using System.Text.Json;
using System.Text.Json.Serialization;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Rhizotomy.App.Sessions;

/// <summary>API errors as FHIR OperationOutcome: a clear message, never a stack trace.</summary>
public static class ApiErrors
{
    public static IResult Outcome(int status, OperationOutcome.IssueType type, string message)
    {
        var outcome = new OperationOutcome
        {
            Issue = [new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Error, Code = type, Diagnostics = message }],
        };
        return Results.Content(new FhirJsonSerializer().SerializeToString(outcome), "application/fhir+json", System.Text.Encoding.UTF8, status);
    }

    public static IResult SessionEnded() => Outcome(StatusCodes.Status401Unauthorized, OperationOutcome.IssueType.Login,
        "No active launch for this browser: the session has ended or never existed. Open the app again from the EHR.");
}

/// <summary><c>GET /api/context</c> and the session actions other features build on.</summary>
public static class ContextEndpoints
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static IEndpointRouteBuilder MapContextApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/context", async (HttpContext context, SessionAccess sessions, Microsoft.AspNetCore.Antiforgery.IAntiforgery antiforgery, CancellationToken ct) =>
        {
            var session = await sessions.ResolveAsync(context, null, ct);
            if (session is null)
                return ApiErrors.SessionEnded();
            session = await sessions.EnsureChartAsync(session, ct);
            // This browser's antiforgery request token (the cookie half is set with it): what API calls send as X-CSRF-Token.
            return Results.Json(ContextModel.From(session, antiforgery.GetAndStoreTokens(context).RequestToken!), Json);
        });

        // Refreshes the EHR token now (the UI calls it before a long form is submitted).
        api.MapPost("/session/refresh", async (HttpContext context, SessionAccess sessions, CancellationToken ct) =>
        {
            var session = SessionAccess.Current(context)!;
            session = await sessions.EnsureFreshAsync(session, force: true, ct);
            return Results.Json(new { needsRelaunch = session.NeedsRelaunch, expiresAt = session.AccessTokenExpiresAt }, Json);
        }).RequireCsrf();

        // Logout: every launch of this browser ends and its cookie stops working (the EHR's own sign-in is the EHR's).
        api.MapPost("/session/logout", async (HttpContext context, SessionAccess sessions, ILoggerFactory logs, CancellationToken ct) =>
        {
            var ended = await sessions.SignOutAsync(context, ct);
            Security.SecurityEvents.Log(logs.CreateLogger("Rhizotomy.App.Security"), Security.SecurityEvents.SessionEnd, ended == 1 ? "logout, 1 launch ended" : $"logout, {ended} launches ended");
            return Results.NoContent();
        }).RequireCsrf();
        return app;
    }
}
