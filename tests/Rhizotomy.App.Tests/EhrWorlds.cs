using System.Collections.Concurrent;
using Rhizotomy.App.Tests.WriteBack;

namespace Rhizotomy.App.Tests;

/// <summary>
/// One sandbox + app per EHR set-up, started when a test first asks for it and shared by every test class
/// of the <see cref="EhrWorldsCollection"/>. A shared world runs on the system clock with no faults and is
/// never changed by a test (no clock moved, no fault switched on, no app stopped): each test keeps to its own
/// launch and its own note ids, and looks only at what it wrote. A test that changes its host starts its own.
/// </summary>
public sealed class EhrWorlds : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, Lazy<Task<SmartWorld>>> _worlds = new();

    /// <summary>A full FHIR server; the app picks its write strategy from the capability statement.</summary>
    public Task<SmartWorld> FullAsync() => GetAsync("full", () => SigningTests.WorldAsync("full"));

    /// <summary>A full FHIR server; the app is configured to write each resource on its own.</summary>
    public Task<SmartWorld> FullIndividualAsync() => GetAsync("full/individual", () => SigningTests.WorldAsync("full", "individual"));

    public Task<SmartWorld> OracleLikeAsync() => GetAsync("oracle-like", () => SigningTests.WorldAsync("oracle-like"));

    /// <summary>An EHR that takes a DocumentReference only (plain text).</summary>
    public Task<SmartWorld> EpicLikeAsync() => GetAsync("epic-like", () => SigningTests.WorldAsync("epic-like"));

    /// <summary>The document-only EHR, and an app configured against its rule (it also sends HTML): every note is refused.</summary>
    public Task<SmartWorld> EpicLikeRefusingAsync() =>
        GetAsync("epic-like/html", () => SigningTests.WorldAsync("epic-like", more: o => o.App["App:Ehrs:0:PlainTextOnly"] = "false"));

    /// <summary>The world of that EHR mode with the app's default settings.</summary>
    public Task<SmartWorld> ModeAsync(string mode, string? strategy = null) => (mode, strategy) switch
    {
        ("full", null) => FullAsync(),
        ("full", "individual") => FullIndividualAsync(),
        ("oracle-like", null) => OracleLikeAsync(),
        ("epic-like", null) => EpicLikeAsync(),
        _ => throw new ArgumentException($"No shared world for {mode}/{strategy}."),
    };

    private Task<SmartWorld> GetAsync(string name, Func<Task<SmartWorld>> start) =>
        _worlds.GetOrAdd(name, _ => new Lazy<Task<SmartWorld>>(() => StartWarmAsync(start))).Value;

    /// <summary>
    /// Starts the world and makes its first launch once, with a generous timeout: the first launch of a fresh host
    /// (code paths compiled on first use, the first chart read) can outlast a test browser's 60 seconds on a busy
    /// machine, and it is the world's cost, not any one test's. No timing is asserted.
    /// </summary>
    private static async Task<SmartWorld> StartWarmAsync(Func<Task<SmartWorld>> start)
    {
        var world = await start();
        using var browser = SmartWorld.Browser();
        browser.Timeout = TimeSpan.FromMinutes(5);
        using var page = await browser.GetAsync(world.LaunchUrl("test-classic-left", "test-surgeon", "test-classic-left-surgery"));
        if (!page.IsSuccessStatusCode)
        {
            await world.DisposeAsync();
            throw new InvalidOperationException($"The first launch of a shared world answered {(int)page.StatusCode}.");
        }
        return world;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var world in _worlds.Values)
        {
            try
            {
                await (await world.Value).DisposeAsync();
            }
            catch (Exception) when (world.Value.IsFaulted)
            {
                // It never started: the test that asked for it already failed with the reason.
            }
        }
    }
}

/// <summary>The test classes that share <see cref="EhrWorlds"/> (they run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class EhrWorldsCollection : ICollectionFixture<EhrWorlds>
{
    public const string Name = "shared EHR worlds";
}
