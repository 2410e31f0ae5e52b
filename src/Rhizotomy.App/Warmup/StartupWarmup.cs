using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Rhizotomy.App.Ehr;
using Rhizotomy.App.Launch;
using Rhizotomy.App.Sessions;
using Rhizotomy.Core.Templates;

namespace Rhizotomy.App.Warmup;

/// <summary>
/// Runs the first launch's code once at start, offline, so the first surgeon does not pay for JIT
/// and first-use costs (Firely's parser, the HttpClient and Polly pipeline, token validation, data
/// protection, the case evidence, page rendering, EF Core's first query): a token exchange and
/// id_token check against <see cref="SyntheticEhr"/>, the chart read of a made-up patient through the
/// real resilience pipeline and session store, then the case page, both note forms and
/// <c>/api/context</c> through the app's own request pipeline, in process. Nothing goes over the
/// network, nothing is written to the drafts or the outbox, the synthetic session is removed, and the
/// only log line is its duration (or, when it fails, that it failed: the app runs on either way).
/// <c>/health/ready</c> answers 503 until it has finished (<see cref="WarmupSetup.UseStartupWarmup"/>).
/// </summary>
public sealed class StartupWarmup(
    IServiceProvider services, WarmupPipeline pipeline, WarmupState state, IHostApplicationLifetime lifetime, ILogger<StartupWarmup> log) : BackgroundService
{
    /// <summary>How long the warm-up may take before readiness stops waiting for it.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private const string RequestMarker = "rhizotomy.warm-up";

    /// <summary>True for the warm-up's own in-process requests (set on the context, never from the wire): request logging skips them.</summary>
    public static bool IsWarmupRequest(HttpContext context) => context.Items.ContainsKey(RequestMarker);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Start-up goes on (Kestrel binds) while this runs; readiness waits for it.
        await Task.Yield();
        var started = Stopwatch.GetTimestamp();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        limit.CancelAfter(Limit);
        var phases = new Phases();
        try
        {
            await RunAsync(phases, limit.Token);
            log.LogInformation("Start-up warm-up done in {ElapsedMs} ms (launch {LaunchMs} ms, chart {ChartMs} ms, pages {PagesMs} ms)",
                (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds, phases.Launch, phases.Chart, phases.Pages);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The type only: whatever the message says stays out of the log. The app serves as usual, its first launch is slower.
            log.LogWarning("Start-up warm-up failed after {ElapsedMs} ms ({Error}); the app runs without it", (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds, e.GetType().Name);
        }
        finally
        {
            state.Finish();
        }
    }

    /// <summary>How long each part took (ms), for the one log line.</summary>
    private sealed class Phases
    {
        private long _mark = Stopwatch.GetTimestamp();

        public int Launch { get; private set; }
        public int Chart { get; private set; }
        public int Pages { get; private set; }

        public void LaunchDone() => Launch = Lap();
        public void ChartDone() => Chart = Lap();
        public void PagesDone() => Pages = Lap();

        private int Lap()
        {
            var now = Stopwatch.GetTimestamp();
            var ms = (int)Stopwatch.GetElapsedTime(_mark, now).TotalMilliseconds;
            _mark = now;
            return ms;
        }
    }

    private async Task RunAsync(Phases phases, CancellationToken ct)
    {
        var options = services.GetRequiredService<IOptions<AppOptions>>();
        var clock = services.GetRequiredService<TimeProvider>();
        var store = services.GetRequiredService<SessionStore>();
        using var ehr = new SyntheticEhr();
        var http = new SyntheticClientFactory(ehr);
        var registration = new EhrRegistration { Issuer = SyntheticEhr.FhirBase, ClientId = SyntheticEhr.ClientId, AuthMethod = ClientAuthMethod.Public };
        var config = new SmartConfiguration(SyntheticEhr.FhirBase, SyntheticEhr.Origin + "/authorize", SyntheticEhr.TokenEndpoint, SyntheticEhr.JwksUri,
            ["launch-ehr", "client-public", "permission-v2", "permission-patient", "context-ehr-patient"], ["S256"], null);

        // The launch and the callback: pending state in the store, the token exchange, the id_token against the JWKS.
        var browser = BrowserRecord.New();
        var browserId = browser.Keys[0];
        var stateId = SessionStore.NewId(32);
        var scope = Scopes.Request(registration, config, standalone: false);
        await store.SavePendingAsync(stateId, new PendingAuthorization(registration.Issuer, browserId, SessionStore.NewId(32), ehr.Nonce, scope, false, clock.GetUtcNow()), ct);
        var pending = await store.TakePendingAsync(stateId, ct) ?? throw new InvalidOperationException("The session store lost the pending state.");
        var tokens = new TokenClient(http, services.GetRequiredService<ClientKeys>(), options);
        var token = await tokens.ExchangeCodeAsync(registration, SyntheticEhr.TokenEndpoint, SessionStore.NewId(16), pending.CodeVerifier, ct);
        using var jwksCache = new MemoryCache(new MemoryCacheOptions());
        var fhirUser = await new IdTokenValidator(http, jwksCache).ValidateAsync(token.IdToken!, registration, config, pending.Nonce, ct);
        if (Scopes.MissingForChart(new GrantedScopes(token.Scope ?? scope)).Count > 0)
            throw new InvalidOperationException("The synthetic grant does not cover the chart.");

        var now = clock.GetUtcNow();
        var session = new LaunchSession
        {
            LaunchId = SessionStore.NewId(24),
            BrowserId = browserId,
            Issuer = registration.Issuer,
            TokenEndpoint = SyntheticEhr.TokenEndpoint,
            AccessToken = token.AccessToken,
            AccessTokenExpiresAt = now.AddSeconds(token.ExpiresIn),
            GrantedScope = token.Scope ?? scope,
            Patient = token.Patient,
            Encounter = token.Encounter,
            FhirContext = token.FhirContext,
            NeedPatientBanner = token.NeedPatientBanner ?? true,
            FhirUser = LaunchEndpoints.Relative(fhirUser, registration.Issuer),
            CreatedAt = now,
        };
        string? cookie = null;
        try
        {
            await store.SaveAsync(session, ct);
            cookie = await store.IssueBrowserAsync(browser with { Launches = [session.LaunchId], Latest = session.LaunchId }, replaced: null, ct);
            phases.LaunchDone();

            // The chart wave: Firely's client and parser behind the EHR gateway's own resilience pipeline, the case evidence, the session saved with it.
            var handlers = new SyntheticHandlerFactory(services.GetRequiredService<IHttpMessageHandlerFactory>());
            var reader = new ChartReader(new EhrClientFactory(handlers, new TolerantReadLog(NullLogger<TolerantReadLog>.Instance)), options, clock, NullLogger<ChartReader>.Instance);
            var access = new SessionAccess(store, tokens, reader, options, clock, NullLogger<SessionAccess>.Instance);
            session = await access.EnsureChartAsync(session, ct);
            if (session.Chart is not { Complete: true })
                throw new InvalidOperationException("The synthetic chart could not be read.");
            phases.ChartDone();

            // The pages as the first surgeon gets them, through the whole request pipeline once the server has built it.
            var app = await PipelineAsync(ct);
            var catalog = services.GetRequiredService<TemplateCatalog>();
            string[] paths =
            [
                "/s/" + session.LaunchId,
                .. catalog.List().Select(t => $"/s/{session.LaunchId}/note?template={Uri.EscapeDataString(t.Id ?? t.Url)}"),
                "/api/context",
                "/app.css",
                "/form.css",
                "/form.js",
            ];
            foreach (var path in paths)
                await GetAsync(app, path, cookie, session.LaunchId, ct);
            phases.PagesDone();
        }
        finally
        {
            await store.RemoveAsync(session.LaunchId, CancellationToken.None);
            if (cookie is not null)
                await store.EndBrowserAsync(cookie, CancellationToken.None);
        }
    }

    private async Task<RequestDelegate> PipelineAsync(CancellationToken ct)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(ct);
        return await pipeline.Pipeline.WaitAsync(ct);
    }

    private async Task GetAsync(RequestDelegate app, string pathAndQuery, string cookie, string launchId, CancellationToken ct)
    {
        var split = pathAndQuery.IndexOf('?');
        var request = new HttpRequestFeature
        {
            Method = HttpMethods.Get,
            Scheme = "http",
            Protocol = "HTTP/1.1",
            Path = split < 0 ? pathAndQuery : pathAndQuery[..split],
            QueryString = split < 0 ? "" : pathAndQuery[split..],
        };
        request.Headers.Host = "localhost";
        request.Headers.Accept = "text/html,application/json";
        request.Headers.Cookie = SessionAccess.CookieNameFor(services.GetRequiredService<IOptions<AppOptions>>().Value) + "=" + cookie;
        request.Headers[SessionAccess.LaunchHeader] = launchId;
        var response = new HttpResponseFeature();
        using var body = new MemoryStream();
        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(request);
        features.Set<IHttpResponseFeature>(response);
        features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(body));
        features.Set<IHttpConnectionFeature>(new HttpConnectionFeature { LocalIpAddress = IPAddress.Loopback, RemoteIpAddress = IPAddress.Loopback, ConnectionId = "warm-up" });
        features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature { RequestAborted = ct });

        var contexts = services.GetRequiredService<IHttpContextFactory>();
        var context = contexts.Create(features);
        context.Items[RequestMarker] = true;
        try
        {
            await app(context);
        }
        finally
        {
            contexts.Dispose(context);
        }
        if (response.StatusCode != StatusCodes.Status200OK || body.Length == 0)
            throw new InvalidOperationException($"A warm-up page answered {response.StatusCode}.");
    }

    /// <summary>Every client the launch code asks for talks to the synthetic EHR.</summary>
    private sealed class SyntheticClientFactory(SyntheticEhr ehr) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(ehr, disposeHandler: false);
    }

    /// <summary>The EHR gateway's handler chain (resilience pipeline included) in front of the synthetic EHR.</summary>
    private sealed class SyntheticHandlerFactory(IHttpMessageHandlerFactory inner) : IHttpMessageHandlerFactory
    {
        public HttpMessageHandler CreateHandler(string name) => inner.CreateHandler(WarmupSetup.EhrClientName);
    }
}

/// <summary>Whether the start-up warm-up has finished (done or failed): readiness waits for it.</summary>
public sealed class WarmupState
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Finished => _done.Task.IsCompleted;

    public void Finish() => _done.TrySetResult();
}

/// <summary>Catches the app's request pipeline when the server builds it, so the warm-up can send it requests in process.</summary>
public sealed class WarmupPipeline : IStartupFilter
{
    private readonly TaskCompletionSource<RequestDelegate> _pipeline = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<RequestDelegate> Pipeline => _pipeline.Task;

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(rest =>
        {
            _pipeline.TrySetResult(rest);
            return rest;
        });
        next(app);
    };
}
