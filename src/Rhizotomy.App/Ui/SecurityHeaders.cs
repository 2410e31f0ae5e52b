using Microsoft.Extensions.Options;
using Rhizotomy.App.Launch;

namespace Rhizotomy.App.Ui;

/// <summary>
/// Headers on every response: no caching (pages and API carry PHI; the callback carries a code),
/// a CSP whose <c>frame-ancestors</c> lists the configured EHR origins, and no referrer (launch
/// URLs carry launch parameters).
/// </summary>
public static class SecurityHeaders
{
    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<AppOptions>>().Value;
        var ancestors = options.Ehrs.SelectMany(e => e.FrameAncestors)
            .Select(o => Uri.TryCreate(o, UriKind.Absolute, out var u) ? u.GetLeftPart(UriPartial.Authority) : null)
            .OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase);
        var csp = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'self' "
            + string.Join(' ', ancestors);
        csp = csp.TrimEnd();

        app.Use(async (context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                // The static style and script (wwwroot) keep the caching MapStaticAssets gives them: they carry no PHI.
                if (!IsStaticAsset(context))
                {
                    headers.CacheControl = "no-store";
                    headers.Pragma = "no-cache";
                }
                headers.ContentSecurityPolicy = csp;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                // Served over https: browsers keep to https for a year (a proxy in front may add it too; the same value).
                if (options.IsHttps)
                    headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
                return Task.CompletedTask;
            });
            await next(context);
        });
        return app;
    }

    private static bool IsStaticAsset(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.StaticAssets.StaticAssetDescriptor>() is not null;
}
