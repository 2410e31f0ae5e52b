namespace Rhizotomy.App.Sessions;

/// <summary>
/// Every state-changing request names its launch and sends that launch's <c>csrfToken</c> (from
/// <c>/api/context</c>) as <c>X-CSRF-Token</c>. Put it on a route group with <see cref="RequireCsrf{TBuilder}"/>.
/// </summary>
public sealed class CsrfFilter(SessionAccess sessions) : IEndpointFilter
{
    public const string Header = "X-CSRF-Token";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var session = await sessions.ResolveAsync(http, http.GetRouteValue("launchId") as string, http.RequestAborted);
        if (session is null)
            return ApiErrors.SessionEnded();
        var sent = http.Request.Headers[Header].FirstOrDefault();
        if (sent is null || !SessionStore.FixedTimeEquals(sent, session.CsrfToken))
        {
            Security.SecurityEvents.Log(http, Security.SecurityEvents.AccessRefused, "missing or wrong CSRF token");
            return ApiErrors.Outcome(StatusCodes.Status403Forbidden, Hl7.Fhir.Model.OperationOutcome.IssueType.Security,
                "Missing or wrong X-CSRF-Token header: send the csrfToken from GET /api/context.");
        }
        return await next(context);
    }
}

public static class CsrfFilterExtensions
{
    public static TBuilder RequireCsrf<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter<TBuilder, CsrfFilter>();
}
