using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rhizotomy.App.Tests.Hygiene;
using Rhizotomy.App.Warmup;
using Rhizotomy.App.WriteBack;

namespace Rhizotomy.App.Tests.Warmup;

/// <summary>
/// The start-up warm-up, in a real host on a loopback port with a real SQLite outbox: it runs, readiness
/// waits for it, it leaves nothing behind (no rows, no session, no log line but its duration), and a
/// failure of it does not stop the app. Timing is not asserted (the figures are the bench's).
/// </summary>
public sealed class StartupWarmupTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rhizotomy-warmup-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task The_warm_up_runs_before_ready_and_leaves_no_trace()
    {
        var logKey = "warmup-" + Guid.NewGuid().ToString("N");
        var cache = new KeysWritten();
        await using var app = await StartAsync(logKey, cache);

        var ready = await WaitReadyAsync(app);
        Assert.True(ready.WarmedBeforeReady, "/health/ready said ready before the warm-up had finished.");

        // One line, its duration; no failure.
        var log = LogCapture.For(logKey);
        var warmupLines = log.Lines.Where(l => l.Contains("warm-up", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.Single(warmupLines);
        Assert.Contains("Start-up warm-up done in", warmupLines[0]);
        Assert.DoesNotContain(log.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("warm-up", StringComparison.OrdinalIgnoreCase));
        // Nothing of the synthetic chart, its session or its EHR in the log: no names, ids, URLs, requests of its pages.
        foreach (var trace in new[] { "Synthetic", SyntheticEhr.PatientId, SyntheticEhr.EncounterId, SyntheticEhr.PractitionerId, "warm-up.invalid", "Gabapentin", "Occipital neuralgia", "/s/{launchId}", "/api/context", "Chart read" })
            Assert.DoesNotContain(log.Lines, l => l.Contains(trace, StringComparison.OrdinalIgnoreCase));

        // No note, no draft.
        var db = app.Services.GetRequiredService<IDbContextFactory<WriteBackDb>>();
        await using (var context = await db.CreateDbContextAsync())
        {
            Assert.Equal(0, await context.Notes.CountAsync());
            Assert.Equal(0, await context.Drafts.CountAsync());
        }
        // It did use the session store (pending state, the session with its chart), and removed every key it wrote.
        Assert.NotEmpty(cache.Written);
        Assert.DoesNotContain(cache.Written.Keys, k => cache.Get(k) is not null);
    }

    [Fact]
    public async Task A_failing_warm_up_logs_one_warning_and_the_app_still_becomes_ready()
    {
        var logKey = "warmup-fail-" + Guid.NewGuid().ToString("N");
        // A data-protection key folder that cannot be made (its parent is a file): nothing can be protected, so the warm-up's first session fails.
        var file = Path.Combine(_folder, "not-a-folder");
        await File.WriteAllTextAsync(file, "");
        await using var app = await StartAsync(logKey, new KeysWritten(), new() { ["App:DataProtectionKeys"] = Path.Combine(file, "keys") });

        var ready = await WaitReadyAsync(app);
        Assert.True(ready.WarmedBeforeReady);
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(Loopback.OriginOf(app) + "/health/live")).StatusCode);
        Assert.Contains("Open this app from a patient's chart", await http.GetStringAsync(Loopback.OriginOf(app) + "/"));

        var lines = LogCapture.For(logKey).Lines.Where(l => l.Contains("warm-up", StringComparison.OrdinalIgnoreCase)).ToList();
        var line = Assert.Single(lines);
        // The exception's type only, never its message.
        Assert.Matches(@"^Warning Start-up warm-up failed after \d+ ms \(""?\w+""?\); the app runs without it \|", line);
    }

    [Fact]
    public async Task With_the_warm_up_turned_off_the_app_is_ready_at_once_and_logs_nothing_of_it()
    {
        var logKey = "warmup-off-" + Guid.NewGuid().ToString("N");
        await using var app = await StartAsync(logKey, new KeysWritten(), new() { ["App:Warmup:Enabled"] = "false" });

        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(Loopback.OriginOf(app) + "/health/ready")).StatusCode);
        Assert.Null(app.Services.GetService<WarmupState>());
        Assert.DoesNotContain(LogCapture.For(logKey).Lines, l => l.Contains("warm-up", StringComparison.OrdinalIgnoreCase));
    }

    private async Task<WebApplication> StartAsync(string logKey, KeysWritten cache, Dictionary<string, string?>? changes = null)
    {
        var name = Guid.NewGuid().ToString("N");
        var config = new Dictionary<string, string?>(LogCapture.Configuration(logKey))
        {
            ["App:DataProtectionKeys"] = Path.Combine(_folder, name, "keys"),
            ["App:WriteBack:ConnectionString"] = "Data Source=" + Path.Combine(_folder, name + ".db"),
            ["App:Ehrs:0:Issuer"] = "https://ehr.example.org/fhir",
            ["App:Ehrs:0:ClientId"] = "warmup-test",
            ["App:Ehrs:0:AuthMethod"] = "Public",
            ["App:Ehrs:0:Custodian"] = "Organization/test-hospital",
        };
        foreach (var (key, value) in changes ?? [])
            config[key] = value;
        var app = AppHost.Build(["--urls", "http://127.0.0.1:0"], b =>
        {
            b.Configuration.AddInMemoryCollection(config);
            // The real in-memory store, watched: which keys were written.
            b.Services.AddSingleton<IDistributedCache>(cache);
        });
        await app.StartAsync();
        return app;
    }

    /// <summary>Polls readiness until 200; notes whether every 200 came after the warm-up had finished.</summary>
    private static async Task<(bool WarmedBeforeReady, int NotReadyAnswers)> WaitReadyAsync(WebApplication app)
    {
        var state = app.Services.GetRequiredService<WarmupState>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var notReady = 0;
        for (var deadline = DateTime.UtcNow.AddMinutes(3); DateTime.UtcNow < deadline;)
        {
            using var response = await http.GetAsync(Loopback.OriginOf(app) + "/health/ready");
            if (response.StatusCode == HttpStatusCode.OK)
                return (state.Finished, notReady);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.False(state.Finished && await IsStillNotReadyAsync(http, app), "Readiness stayed 503 after the warm-up had finished.");
            notReady++;
            await Task.Delay(50);
        }
        throw new TimeoutException("The app did not become ready.");
    }

    private static async Task<bool> IsStillNotReadyAsync(HttpClient http, WebApplication app)
    {
        using var again = await http.GetAsync(Loopback.OriginOf(app) + "/health/ready");
        return again.StatusCode != HttpStatusCode.OK;
    }

    /// <summary><see cref="MemoryDistributedCache"/> that remembers every key written to it.</summary>
    private sealed class KeysWritten() : MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions())), IDistributedCache
    {
        public ConcurrentDictionary<string, bool> Written { get; } = new();

        void IDistributedCache.Set(string key, byte[] value, DistributedCacheEntryOptions options)
        {
            Written[key] = true;
            Set(key, value, options);
        }

        Task IDistributedCache.SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token)
        {
            Written[key] = true;
            return SetAsync(key, value, options, token);
        }
    }
}
