using Microsoft.AspNetCore.Antiforgery;

namespace Rhizotomy.App.Sessions;

/// <summary>
/// CSRF by ASP.NET Core antiforgery: a cookie token (<c>rz_csrf</c>) and a request token the page carries, sent back as the
/// <c>csrf</c> field of a form (the pages' <c>&lt;AntiforgeryToken /&gt;</c>) or as the <c>X-CSRF-Token</c> header of an API
/// call (the script reads the page's field; other clients take <c>csrfToken</c> from <c>GET /api/context</c>). Every
/// state-changing route checks it: the API through <see cref="CsrfFilterExtensions.RequireCsrf{TBuilder}"/>, the form posts
/// with <see cref="IsValidAsync"/>.
/// </summary>
public sealed class CsrfFilter(SessionAccess sessions, IAntiforgery antiforgery) : IEndpointFilter
{
    public const string Header = "X-CSRF-Token";

    public const string FormField = "csrf";

    public const string CookieName = "rz_csrf";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var session = await sessions.ResolveAsync(http, http.GetRouteValue("launchId") as string, http.RequestAborted);
        if (session is null)
            return ApiErrors.SessionEnded();
        if (!await IsValidAsync(antiforgery, http))
        {
            Security.SecurityEvents.Log(http, Security.SecurityEvents.AccessRefused, "missing or wrong CSRF token");
            return ApiErrors.Outcome(StatusCodes.Status403Forbidden, Hl7.Fhir.Model.OperationOutcome.IssueType.Security,
                "Missing or wrong X-CSRF-Token header: send the csrfToken from GET /api/context.");
        }
        return await next(context);
    }

    /// <summary>Whether the request carries this browser's antiforgery token (header or form field); a malformed one is not valid.</summary>
    public static async Task<bool> IsValidAsync(IAntiforgery antiforgery, HttpContext http)
    {
        try
        {
            return await antiforgery.IsRequestValidAsync(http);
        }
        catch (Exception e) when (e is AntiforgeryValidationException or InvalidDataException or IOException or BadHttpRequestException)
        {
            return false;
        }
    }
}

public static class CsrfFilterExtensions
{
    public static TBuilder RequireCsrf<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter<TBuilder, CsrfFilter>();

    /// <summary>The antiforgery tokens: named for the pages' field and the API header, a cookie that works where the session cookie does.</summary>
    public static IServiceCollection AddCsrf(this IServiceCollection services, Launch.AppOptions options)
    {
        services.AddScoped<CsrfFilter>();
        services.AddAntiforgery(o =>
        {
            o.FormFieldName = CsrfFilter.FormField;
            o.HeaderName = CsrfFilter.Header;
            o.Cookie.Name = CsrfFilter.CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SecurePolicy = options.IsHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.None;
            o.Cookie.SameSite = options.IsHttps ? SameSiteMode.None : SameSiteMode.Lax;
            if (options.IsHttps)
                o.Cookie.Extensions.Add(SessionAccess.PartitionedAttribute);
            // The app runs in the EHR's iframe: the CSP's frame-ancestors names who may frame it, not X-Frame-Options.
            o.SuppressXFrameOptionsHeader = true;
        });
        return services;
    }
}
