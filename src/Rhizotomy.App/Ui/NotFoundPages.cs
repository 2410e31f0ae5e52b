namespace Rhizotomy.App.Ui;

/// <summary>
/// A browser sent to an address that is none of the app's pages (an old bookmark, a link copied in
/// part) gets the plain failure page rather than an empty frame. Only empty 404 answers to page
/// requests: the API, 405s and answers with a body stay as they are.
/// </summary>
public static class NotFoundPages
{
    public static WebApplication UseNotFoundPage(this WebApplication app)
    {
        app.UseStatusCodePages(async status =>
        {
            var http = status.HttpContext;
            if (http.Response.StatusCode != StatusCodes.Status404NotFound || !HttpMethods.IsGet(http.Request.Method)
                || http.Request.Path.StartsWithSegments("/api")
                || !http.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase))
                return;
            await Pages.Error(StatusCodes.Status404NotFound, "This page does not exist",
                "The address is not one of the app's pages (an old bookmark, or a link copied in part).", Pages.Relaunch).ExecuteAsync(http);
        });
        return app;
    }
}
