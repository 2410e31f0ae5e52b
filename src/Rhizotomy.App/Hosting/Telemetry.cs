using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Rhizotomy.App.WriteBack;

namespace Rhizotomy.App.Hosting;

/// <summary>OTLP export (<c>App:Telemetry:Otlp</c>): off until an endpoint is given.</summary>
public sealed class OtlpOptions
{
    /// <summary>The collector's OTLP endpoint (<c>http://collector:4317</c> for gRPC, <c>http://collector:4318</c> for HTTP); null: no export.</summary>
    public string? Endpoint { get; set; }
    /// <summary><c>grpc</c> or <c>http</c> (HTTP/protobuf).</summary>
    public string Protocol { get; set; } = "grpc";
    /// <summary>Headers sent with every export (<c>key=value,key2=value2</c>), such as the collector's API key: a secret.</summary>
    public string? Headers { get; set; }
}

/// <summary>The Prometheus scrape endpoint (<c>App:Telemetry:Prometheus</c>): off by default, and protected by a bearer token when on.</summary>
public sealed class PrometheusOptions
{
    public bool Enabled { get; set; }
    /// <summary>Where the scrape is served.</summary>
    public string Path { get; set; } = "/metrics";
    /// <summary>The bearer token the scraper sends (<c>Authorization: Bearer ...</c>); required when enabled. A secret.</summary>
    public string? Token { get; set; }
}

/// <summary>The app's telemetry settings (<c>App:Telemetry</c>).</summary>
public sealed class TelemetryOptions
{
    public const string Section = "App:Telemetry";
    /// <summary>The <c>service.name</c> of every span and metric.</summary>
    public string ServiceName { get; set; } = "rhizotomy-app";
    public OtlpOptions Otlp { get; set; } = new();
    public PrometheusOptions Prometheus { get; set; } = new();
}

/// <summary>
/// The app's own spans and metrics (source and meter <c>Rhizotomy.App</c>). Names and attributes carry no PHI and no
/// secret: the EHR by its host, the FHIR resource type (never an id or a query), status codes and reasons from a
/// closed list. Launch ids, note ids, patients and tokens never appear.
/// </summary>
public static partial class AppTelemetry
{
    public const string Name = "Rhizotomy.App";
    public static readonly ActivitySource Source = new(Name);
    private static readonly Meter StaticMeter = new(Name);

    private static readonly Histogram<double> LaunchDuration = StaticMeter.CreateHistogram<double>(
        "rhizotomy.launch.duration", "s", "Time the app took to answer a launch step (/launch, /callback), by step and status.");
    private static readonly Histogram<double> EhrRequestDuration = StaticMeter.CreateHistogram<double>(
        "rhizotomy.ehr.request.duration", "s", "One request to an EHR's FHIR API, by EHR, resource type, method and status.");
    private static readonly Counter<long> EhrRequestErrors = StaticMeter.CreateCounter<long>(
        "rhizotomy.ehr.request.errors", "{request}", "EHR requests that failed (5xx, 429, 408, no answer), by EHR, resource type and error.");
    private static readonly Counter<long> SendAttempts = StaticMeter.CreateCounter<long>(
        "rhizotomy.outbox.send.attempts", "{attempt}", "Send attempts of signed notes, by EHR and outcome.");
    private static readonly Counter<long> SendFailures = StaticMeter.CreateCounter<long>(
        "rhizotomy.outbox.send.failures", "{attempt}", "Send attempts that did not file the note, by EHR and reason.");

    /// <summary>The EHR as telemetry names it: its host (and port), never the path (a tenant) or anything after it.</summary>
    public static string Ehr(string? issuer) =>
        Uri.TryCreate(issuer, UriKind.Absolute, out var uri) ? uri.Authority.ToLowerInvariant() : "unknown";

    /// <summary>
    /// The FHIR resource type a request to <paramref name="fhirBase"/> is about: the first path segment when it is a
    /// type name (<c>Patient</c>, <c>metadata</c>), <c>(base)</c> for a transaction or batch, <c>other</c> otherwise.
    /// Never an id, an operation's argument or a query.
    /// </summary>
    public static string ResourceType(Uri? request, string fhirBase)
    {
        var url = request?.GetLeftPart(UriPartial.Path) ?? "";
        var root = fhirBase.TrimEnd('/');
        if (!url.StartsWith(root, StringComparison.OrdinalIgnoreCase))
            return "other";
        var rest = url[root.Length..].Trim('/');
        if (rest.Length == 0)
            return "(base)";
        var first = rest.Split('/')[0];
        return first == "metadata" || TypeName().IsMatch(first) ? first : "other";
    }

    /// <summary>A span for one EHR request; null when nobody listens (or for the start-up warm-up's synthetic EHR).</summary>
    public static Activity? StartEhrRequest(string issuer, HttpMethod method, string resourceType)
    {
        if (IsWarmup(issuer))
            return null;
        var activity = Source.StartActivity($"EHR {method.Method} {resourceType}", ActivityKind.Client);
        activity?.SetTag("rhizotomy.ehr", Ehr(issuer));
        activity?.SetTag("fhir.resource_type", resourceType);
        activity?.SetTag("http.request.method", method.Method);
        return activity;
    }

    /// <summary>Records one EHR request's latency (and error) and ends its span.</summary>
    public static void EhrRequestDone(Activity? activity, string issuer, HttpMethod method, string resourceType, long started, int? status, Exception? error)
    {
        if (IsWarmup(issuer))
            return;
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var tags = new TagList
        {
            { "rhizotomy.ehr", Ehr(issuer) },
            { "fhir.resource_type", resourceType },
            { "http.request.method", method.Method },
            { "http.response.status_code", status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none" },
        };
        EhrRequestDuration.Record(elapsed, tags);
        var errorType = error is not null ? (error is OperationCanceledException ? "timeout" : "no-answer")
            : status is >= 500 or 429 or 408 ? status.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        if (errorType is not null)
        {
            EhrRequestErrors.Add(1, new TagList { { "rhizotomy.ehr", Ehr(issuer) }, { "fhir.resource_type", resourceType }, { "error.type", errorType } });
            activity?.SetStatus(ActivityStatusCode.Error);
            activity?.SetTag("error.type", errorType);
        }
        if (status is { } code)
            activity?.SetTag("http.response.status_code", code);
        activity?.Dispose();
    }

    /// <summary>Records a launch step's latency (<c>launch</c>, <c>callback</c>).</summary>
    public static void LaunchStep(string step, double seconds, int status) =>
        LaunchDuration.Record(seconds, new TagList { { "rhizotomy.launch.step", step }, { "http.response.status_code", status } });

    /// <summary>A span for one send attempt of a signed note (its id is not an attribute: it is the surgeon's identifier of a note about a patient).</summary>
    public static Activity? StartSendAttempt(string issuer, int attempt)
    {
        var activity = Source.StartActivity("outbox send attempt", ActivityKind.Internal);
        activity?.SetTag("rhizotomy.ehr", Ehr(issuer));
        activity?.SetTag("rhizotomy.attempt", attempt);
        return activity;
    }

    /// <summary>Ends a send attempt's span and counts its outcome (<c>written</c>, <c>retry</c>, <c>refused</c>, <c>waiting-for-launch</c>, ...).</summary>
    public static void SendAttemptDone(Activity? activity, string issuer, string outcome, string? reason)
    {
        var ehr = Ehr(issuer);
        SendAttempts.Add(1, new TagList { { "rhizotomy.ehr", ehr }, { "rhizotomy.outcome", outcome } });
        if (outcome != "written")
        {
            var why = Reason(reason, outcome);
            SendFailures.Add(1, new TagList { { "rhizotomy.ehr", ehr }, { "rhizotomy.reason", why } });
            activity?.SetTag("rhizotomy.reason", why);
            activity?.SetStatus(ActivityStatusCode.Error);
        }
        activity?.SetTag("rhizotomy.outcome", outcome);
        activity?.Dispose();
    }

    /// <summary>
    /// A failure's reason from a closed list: <c>HTTP nnn</c>, <c>timed out</c>, <c>no answer</c>, <c>capabilities
    /// unreadable</c>, <c>token unavailable</c>, <c>gave up</c>, or the outcome itself; never the EHR's own words.
    /// </summary>
    public static string Reason(string? reason, string outcome)
    {
        if (reason is null)
            return outcome;
        if (HttpStatus().Match(reason) is { Success: true } m)
            return "HTTP " + m.Groups[1].Value;
        if (reason.Contains("timed out", StringComparison.OrdinalIgnoreCase))
            return "timed out";
        if (reason.Contains("capabilities", StringComparison.OrdinalIgnoreCase))
            return "capabilities unreadable";
        if (reason.Contains("token", StringComparison.OrdinalIgnoreCase))
            return "token unavailable";
        if (reason.Contains("connection", StringComparison.OrdinalIgnoreCase) || reason.Contains("answer", StringComparison.OrdinalIgnoreCase))
            return "no answer";
        return outcome;
    }

    private static bool IsWarmup(string issuer) => issuer.StartsWith(Warmup.SyntheticEhr.Origin, StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex("^[A-Z][A-Za-z]{1,63}$")]
    private static partial Regex TypeName();

    [GeneratedRegex(@"HTTP (\d{3})")]
    private static partial Regex HttpStatus();
}

/// <summary>
/// The outbox's gauges (depth by status, age of the oldest note not yet written, by EHR), read from the store when a
/// reader collects them (an export or a scrape), at most every 5 seconds.
/// </summary>
public sealed class OutboxGauges
{
    private readonly IDbContextFactory<WriteBackDb> _store;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private (long At, IReadOnlyList<(string Ehr, string Status, int Count, long Oldest)> Rows) _last = (long.MinValue, []);

    public OutboxGauges(IMeterFactory meters, IDbContextFactory<WriteBackDb> store, TimeProvider clock, IOptions<Launch.AppOptions> app)
    {
        _store = store;
        _clock = clock;
        // Every configured EHR is reported, at 0 when nothing waits for it: a dashboard sees 0, not a gap.
        var ehrs = app.Value.Ehrs.Select(e => AppTelemetry.Ehr(e.Issuer)).Distinct().ToList();
        string[] statuses = ["pending", "waiting-for-launch"];
        var meter = meters.Create(AppTelemetry.Name);
        meter.CreateObservableGauge("rhizotomy.outbox.depth", () =>
        {
            var rows = Rows();
            return ehrs.Union(rows.Select(r => r.Ehr)).SelectMany(ehr => statuses.Select(status =>
                new Measurement<int>(rows.Where(r => r.Ehr == ehr && r.Status == status).Sum(r => r.Count),
                    new KeyValuePair<string, object?>("rhizotomy.ehr", ehr), new KeyValuePair<string, object?>("rhizotomy.status", status))));
        }, "{note}", "Signed notes not yet in the EHR, by EHR and status (pending, waiting-for-launch).");
        meter.CreateObservableGauge("rhizotomy.outbox.oldest_pending.age", () =>
        {
            var rows = Rows();
            var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
            return ehrs.Union(rows.Select(r => r.Ehr)).Select(ehr => new Measurement<double>(
                rows.Where(r => r.Ehr == ehr).Select(r => (now - r.Oldest) / 1000.0).DefaultIfEmpty(0).Max(),
                new KeyValuePair<string, object?>("rhizotomy.ehr", ehr)));
        }, "s", "Age of the oldest signed note not yet in the EHR, by EHR (0 when none waits).");
    }

    private IReadOnlyList<(string Ehr, string Status, int Count, long Oldest)> Rows()
    {
        var now = Environment.TickCount64;
        lock (_gate)
        {
            if (now - _last.At < 5000)
                return _last.Rows;
        }
        IReadOnlyList<(string, string, int, long)> rows;
        try
        {
            using var db = _store.CreateDbContext();
            rows = [.. db.Notes.AsNoTracking()
                .Where(n => n.Status == NoteStatus.Pending || n.Status == NoteStatus.WaitingForLaunch)
                .GroupBy(n => new { n.Issuer, n.Status })
                .Select(g => new { g.Key.Issuer, g.Key.Status, Count = g.Count(), Oldest = g.Min(n => n.CreatedAt) })
                .AsEnumerable()
                .GroupBy(r => (Ehr: AppTelemetry.Ehr(r.Issuer), Status: r.Status == NoteStatus.Pending ? "pending" : "waiting-for-launch"))
                .Select(g => (g.Key.Ehr, g.Key.Status, g.Sum(r => r.Count), g.Min(r => r.Oldest)))];
        }
        catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException or TimeoutException)
        {
            // The store is unreachable: no reading rather than a wrong one (the health check says why).
            rows = [];
        }
        lock (_gate)
            _last = (now, rows);
        return rows;
    }
}

/// <summary>Registration of OpenTelemetry: the app's source and meter, ASP.NET Core's, OTLP and Prometheus as configured.</summary>
public static class TelemetrySetup
{
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(TelemetryOptions.Section);
        builder.Services.AddOptions<TelemetryOptions>().Bind(section);
        var options = section.Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (options.Prometheus.Enabled && string.IsNullOrWhiteSpace(options.Prometheus.Token))
            throw new SettingsException("App:Telemetry:Prometheus:Token is empty: the scrape endpoint is on, so give the bearer token the scraper will send (or set App:Telemetry:Prometheus:Enabled to false).");
        if (options.Prometheus.Enabled && !options.Prometheus.Path.StartsWith('/'))
            throw new SettingsException($"App:Telemetry:Prometheus:Path is '{options.Prometheus.Path}': put a path starting with /, such as /metrics.");
        Uri? otlp = null;
        if (!string.IsNullOrWhiteSpace(options.Otlp.Endpoint) && !Uri.TryCreate(options.Otlp.Endpoint, UriKind.Absolute, out otlp))
            throw new SettingsException($"App:Telemetry:Otlp:Endpoint is '{options.Otlp.Endpoint}': put the collector's URL, such as http://collector:4317.");
        if (options.Otlp.Protocol is not ("grpc" or "http"))
            throw new SettingsException($"App:Telemetry:Otlp:Protocol is '{options.Otlp.Protocol}': put grpc or http.");

        builder.Services.AddSingleton<OutboxGauges>();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(options.ServiceName))
            .WithTracing(tracing =>
            {
                tracing.AddSource(AppTelemetry.Name).AddAspNetCoreInstrumentation(o =>
                {
                    // Paths carry launch and note ids: the span keeps the route pattern only, and no query string.
                    o.EnrichWithHttpResponse = (activity, response) =>
                    {
                        var route = (response.HttpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";
                        activity.SetTag("url.path", route);
                        activity.SetTag("url.query", null);
                        // Who asked, as the app believes it (behind a configured proxy: the client, not the proxy).
                        activity.SetTag("client.address", response.HttpContext.Connection.RemoteIpAddress?.ToString());
                        activity.SetTag("url.scheme", response.HttpContext.Request.Scheme);
                        activity.SetTag("server.address", response.HttpContext.Request.Host.Host);
                        activity.DisplayName = response.HttpContext.Request.Method + " " + route;
                    };
                    o.Filter = context => !Warmup.StartupWarmup.IsWarmupRequest(context);
                    o.RecordException = false;
                });
                if (otlp is not null)
                    tracing.AddOtlpExporter(o => Otlp(o, otlp, options.Otlp));
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(AppTelemetry.Name).AddAspNetCoreInstrumentation();
                if (otlp is not null)
                    metrics.AddOtlpExporter(o => Otlp(o, otlp, options.Otlp));
                if (options.Prometheus.Enabled)
                    metrics.AddPrometheusExporter();
            });
        return builder;
    }

    private static void Otlp(OtlpExporterOptions o, Uri endpoint, OtlpOptions options)
    {
        o.Endpoint = endpoint;
        o.Protocol = options.Protocol == "http" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        if (!string.IsNullOrWhiteSpace(options.Headers))
            o.Headers = options.Headers;
    }

    /// <summary>The gauges exist once the host is built; the scrape endpoint, when on, answers only the scraper's bearer token.</summary>
    public static WebApplication UseTelemetry(this WebApplication app)
    {
        _ = app.Services.GetRequiredService<OutboxGauges>();
        var options = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.Prometheus;
        if (!options.Enabled)
            return app;
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes("Bearer " + options.Token));
        app.UseWhen(c => c.Request.Path.Equals(options.Path, StringComparison.OrdinalIgnoreCase), branch => branch.Use(async (context, next) =>
        {
            var given = SHA256.HashData(Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString()));
            if (!CryptographicOperations.FixedTimeEquals(given, expected))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return;
            }
            await next(context);
        }));
        app.MapPrometheusScrapingEndpoint(options.Path);
        return app;
    }
}

/// <summary>Spans (and the launch latency) around endpoints, added to their route like any other convention.</summary>
public static class TracedEndpoints
{
    /// <summary>A span named <paramref name="name"/> around the handler; with <paramref name="launchStep"/>, its latency in the launch histogram.</summary>
    public static TBuilder Traced<TBuilder>(this TBuilder builder, string name, string? launchStep = null) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            if (Warmup.StartupWarmup.IsWarmupRequest(context.HttpContext))
                return await next(context);
            using var activity = AppTelemetry.Source.StartActivity(name);
            var started = Stopwatch.GetTimestamp();
            var result = await next(context);
            var status = result switch
            {
                IStatusCodeHttpResult { StatusCode: { } code } => code,
                Microsoft.AspNetCore.Http.HttpResults.RedirectHttpResult r => r.Permanent ? 301 : 302,
                _ => context.HttpContext.Response.StatusCode,
            };
            activity?.SetTag("http.response.status_code", status);
            if (status >= 500)
                activity?.SetStatus(ActivityStatusCode.Error);
            if (launchStep is not null)
                AppTelemetry.LaunchStep(launchStep, Stopwatch.GetElapsedTime(started).TotalSeconds, status);
            return result;
        });
}
