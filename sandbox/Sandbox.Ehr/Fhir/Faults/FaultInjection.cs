using System.Net;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;
using Task = System.Threading.Tasks.Task;

namespace Sandbox.Ehr.Fhir.Faults;

/// <summary>One fault: what happens, how often, and to which requests.</summary>
public sealed class FaultRule
{
    /// <summary><c>429</c>, <c>500</c>, <c>503</c>, <c>hang</c>, <c>drop</c>, <c>fail-after-commit</c> or <c>fail-after-commit-drop</c>.</summary>
    public string Kind { get; set; } = "";

    /// <summary>Probability 0..1 that a matching request gets the fault.</summary>
    public double Rate { get; set; } = 1;

    /// <summary>Only this HTTP method (null: any).</summary>
    public string? Method { get; set; }

    /// <summary>Only paths that start with this (case-insensitive).</summary>
    public string Path { get; set; } = "/fhir";

    public int RetryAfterSeconds { get; set; } = 1;

    public int HangSeconds { get; set; } = 30;

    public static readonly string[] Kinds = ["429", "500", "503", "hang", "drop", "fail-after-commit", "fail-after-commit-drop"];
}

/// <summary>Settings under <c>Sandbox:Faults</c>, also read and replaced at <c>/admin/faults</c>. All off by default.</summary>
public sealed class FaultSettings
{
    /// <summary>Added latency in ms; with <see cref="LatencyMaxMs"/> above it, a random value in between.</summary>
    public int LatencyMs { get; set; }

    public int LatencyMaxMs { get; set; }

    public string LatencyPath { get; set; } = "/fhir";

    /// <summary>When set, the same sequence of requests meets the same faults.</summary>
    public int? Seed { get; set; }

    public List<FaultRule> Rules { get; set; } = [];

    public string? Validate()
    {
        if (LatencyMs < 0 || LatencyMaxMs < 0)
        {
            return "Latency cannot be negative.";
        }
        foreach (var rule in Rules)
        {
            if (!FaultRule.Kinds.Contains(rule.Kind))
            {
                return $"Fault kind '{rule.Kind}' is not one of {string.Join(", ", FaultRule.Kinds)}.";
            }
            if (rule.Rate is < 0 or > 1 || double.IsNaN(rule.Rate))
            {
                return "A fault rate is between 0 and 1.";
            }
            if (rule.HangSeconds < 0 || rule.RetryAfterSeconds < 0)
            {
                return "Durations cannot be negative.";
            }
        }
        return null;
    }
}

/// <summary>Holds the live fault settings and the (optionally seeded) dice.</summary>
public sealed class FaultInjector
{
    private readonly Lock _lock = new();
    private FaultSettings _settings;
    private Random _random;

    public FaultInjector(IConfiguration configuration)
    {
        _settings = configuration.GetSection("Sandbox:Faults").Get<FaultSettings>() ?? new FaultSettings();
        if (_settings.Validate() is { } problem)
        {
            throw new InvalidOperationException("Sandbox:Faults: " + problem);
        }
        _random = NewRandom(_settings);
    }

    public FaultSettings Current
    {
        get
        {
            lock (_lock)
            {
                return _settings;
            }
        }
    }

    public void Replace(FaultSettings settings)
    {
        lock (_lock)
        {
            _settings = settings;
            _random = NewRandom(settings);
        }
    }

    private static Random NewRandom(FaultSettings settings) => settings.Seed is { } seed ? new Random(seed) : new Random();

    /// <summary>The latency to add and the fault (if any) that this request meets.</summary>
    public (int LatencyMs, FaultRule? Fault) Roll(string method, string path)
    {
        lock (_lock)
        {
            var settings = _settings;
            var latency = 0;
            if (path.StartsWith(settings.LatencyPath, StringComparison.OrdinalIgnoreCase))
            {
                latency = settings.LatencyMaxMs > settings.LatencyMs ? _random.Next(settings.LatencyMs, settings.LatencyMaxMs + 1) : settings.LatencyMs;
            }
            foreach (var rule in settings.Rules)
            {
                if ((rule.Method is null || rule.Method.Equals(method, StringComparison.OrdinalIgnoreCase))
                    && path.StartsWith(rule.Path, StringComparison.OrdinalIgnoreCase)
                    && _random.NextDouble() < rule.Rate)
                {
                    return (latency, rule);
                }
            }
            return (latency, null);
        }
    }
}

/// <summary>Applies latency and faults before anything else runs (like a flaky network or gateway would).</summary>
public sealed class FaultMiddleware(RequestDelegate next, FaultInjector injector)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "";
        if (path.StartsWith("/admin", StringComparison.OrdinalIgnoreCase))
        {
            await next(http);
            return;
        }
        var (latency, fault) = injector.Roll(http.Request.Method, path);
        if (latency > 0)
        {
            await Task.Delay(latency, http.RequestAborted);
        }
        switch (fault?.Kind)
        {
            case null:
                await next(http);
                return;
            case "429":
                http.Response.Headers.RetryAfter = fault.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await FhirEndpoints.WriteResult(http, FhirResult.Error(429, IssueType.Throttled, "Too many requests (injected fault)."));
                return;
            case "500":
                await FhirEndpoints.WriteResult(http, FhirResult.Error(500, IssueType.Exception, "Internal error (injected fault)."));
                return;
            case "503":
                http.Response.Headers.RetryAfter = fault.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await FhirEndpoints.WriteResult(http, FhirResult.Error(503, IssueType.Transient, "Service unavailable (injected fault)."));
                return;
            case "hang":
                await Task.Delay(TimeSpan.FromSeconds(fault.HangSeconds), http.RequestAborted);
                await next(http);
                return;
            case "drop":
                http.Abort();
                return;
            default:
                await FailAfterCommit(http, abort: fault.Kind == "fail-after-commit-drop");
                return;
        }
    }

    /// <summary>Runs the request for real (writes commit), then throws the answer away.</summary>
    private async Task FailAfterCommit(HttpContext http, bool abort)
    {
        var original = http.Response.Body;
        using var discarded = new MemoryStream();
        http.Response.Body = discarded;
        try
        {
            await next(http);
        }
        finally
        {
            http.Response.Body = original;
        }
        if (abort)
        {
            http.Abort();
            return;
        }
        http.Response.Clear();
        await FhirEndpoints.WriteResult(http, FhirResult.Error(500, IssueType.Exception, "Internal error after the change was stored (injected fault)."));
    }
}

/// <summary><c>GET/PUT /admin/faults</c>, for loopback callers only.</summary>
public static class FaultAdmin
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/admin/faults", (HttpContext http, FaultInjector injector) =>
            IsLoopback(http) ? Results.Json(injector.Current) : Refused());
        app.MapPut("/admin/faults", async (HttpContext http, FaultInjector injector) =>
        {
            if (!IsLoopback(http))
            {
                return Refused();
            }
            FaultSettings? settings;
            try
            {
                settings = await http.Request.ReadFromJsonAsync<FaultSettings>(http.RequestAborted);
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
            {
                return Results.Problem("The body is not fault settings JSON.", statusCode: 400);
            }
            if (settings is null || settings.Validate() is { } problem && problem.Length > 0)
            {
                return Results.Problem(settings?.Validate() ?? "A body is required.", statusCode: 400);
            }
            injector.Replace(settings);
            return Results.Json(settings);
        });
    }

    private static bool IsLoopback(HttpContext http) =>
        http.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address);

    private static IResult Refused() => Results.Problem("The admin endpoint answers loopback callers only.", statusCode: 403);
}
