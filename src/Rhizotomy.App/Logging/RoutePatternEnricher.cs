using Serilog.Core;
using Serilog.Events;

namespace Rhizotomy.App.Logging;

/// <summary>
/// ASP.NET Core's hosting log scope puts the raw request path on every event logged during a
/// request; for <c>/s/{launchId}</c> that path holds the launch id, which with the session cookie
/// opens a patient's chart. This replaces it with the matched route pattern.
/// </summary>
public sealed class RoutePatternEnricher(IHttpContextAccessor accessor) : ILogEventEnricher
{
    public const string PropertyName = "RequestPath";

    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        if (!logEvent.Properties.ContainsKey(PropertyName))
            return;
        var pattern = (accessor.HttpContext?.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";
        logEvent.AddOrUpdateProperty(propertyFactory.CreateProperty(PropertyName, pattern));
    }
}
