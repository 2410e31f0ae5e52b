
namespace Rhizotomy.App.Sessions;

/// <summary>
/// The launch-session of this request, bound once by <see cref="LaunchScopeExtensions.RequireLaunch"/> (from the route's
/// <c>{launchId}</c> and this browser, as <see cref="SessionAccess"/> decides) before the handler runs. Handlers and the
/// pages they render take it from here rather than looking the session up again.
/// </summary>
public sealed class LaunchScope
{
    private LaunchSession? _session;

    public LaunchSession Session
    {
        get => _session ?? throw new InvalidOperationException("No launch is bound to this request: the endpoint needs RequireLaunch().");
        set => _session = value;
    }
}

/// <summary>What an endpoint answers when the request has no live launch-session.</summary>
public enum WhenNoLaunch
{
    /// <summary>The plain "Your session has ended" page (401).</summary>
    Page,

    /// <summary>An OperationOutcome (401), for the endpoints the page script calls.</summary>
    Api,

    /// <summary>An empty stylesheet (the launch's SMART style: nothing to apply).</summary>
    EmptyStylesheet,
}

public static class LaunchScopeExtensions
{
    public static IServiceCollection AddLaunchScope(this IServiceCollection services) => services.AddScoped<LaunchScope>();

    /// <summary>Binds the launch-session of the route's <c>{launchId}</c> to <see cref="LaunchScope"/>, or answers without one.</summary>
    public static RouteHandlerBuilder RequireLaunch(this RouteHandlerBuilder builder, WhenNoLaunch when = WhenNoLaunch.Page, string? nextStep = null) =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var session = await http.RequestServices.GetRequiredService<SessionAccess>()
                .ResolveAsync(http, http.GetRouteValue("launchId") as string, http.RequestAborted);
            if (session is null)
            {
                return when switch
                {
                    WhenNoLaunch.Api => ApiErrors.SessionEnded(),
                    WhenNoLaunch.EmptyStylesheet => Results.Text("", "text/css"),
                    _ => nextStep is null ? Ui.Pages.SessionEnded() : Ui.Pages.SessionEnded(nextStep),
                };
            }
            http.RequestServices.GetRequiredService<LaunchScope>().Session = session;
            return await next(context);
        });
}
