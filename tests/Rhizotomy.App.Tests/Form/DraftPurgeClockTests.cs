using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Rhizotomy.App.Drafts;
using Rhizotomy.App.WriteBack;
using Rhizotomy.Core.Templates;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Form;

/// <summary>
/// The draft sweep waits on the app's <see cref="TimeProvider"/>: a <see cref="FakeTimeProvider"/> moved past the
/// interval runs it at once (a real SQLite file; the interval is an hour of the wall clock, which the test never waits).
/// </summary>
public sealed class DraftPurgeClockTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rhizotomy-drafts-").FullName;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly PooledDbContextFactory<WriteBackDb> _factory;

    public DraftPurgeClockTests()
    {
        _factory = new PooledDbContextFactory<WriteBackDb>(new DbContextOptionsBuilder<WriteBackDb>()
            .UseSqlite("Data Source=" + Path.Combine(_folder, "drafts.db")).Options);
        using var db = _factory.CreateDbContext();
        db.Database.EnsureCreated();
    }

    private async Task AddDraftAsync(string owner)
    {
        await using var db = await _factory.CreateDbContextAsync();
        db.Drafts.Add(new DraftRecord { OwnerKey = owner, Payload = [1], UpdatedAt = _clock.GetUtcNow().ToUnixTimeMilliseconds() });
        await db.SaveChangesAsync();
    }

    private async Task<bool> GoneWithinAsync(string owner, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            await using var db = await _factory.CreateDbContextAsync();
            if (!await db.Drafts.AnyAsync(d => d.OwnerKey == owner))
                return true;
            await Task.Delay(50);
        }
        return false;
    }

    [Fact]
    public async Task The_sweep_runs_when_the_apps_clock_reaches_its_interval_without_waiting_on_the_wall_clock()
    {
        var options = Options.Create(new DraftOptions { RetentionDays = 1, PurgeIntervalSeconds = 3600 });
        var outbox = new Outbox(_factory, new EphemeralDataProtectionProvider(), Options.Create(new WriteBackOptions()), _clock);
        var store = new DraftStore(_factory, outbox, TemplateCatalog.From([]), options);
        using var purge = new DraftPurge(store, options, _clock, NullLogger<DraftPurge>.Instance);
        await AddDraftAsync("first");
        await purge.StartAsync(CancellationToken.None);
        try
        {
            // Past its retention: the sweep at start (or the first tick) removes it.
            _clock.Advance(TimeSpan.FromDays(2));
            Assert.True(await GoneWithinAsync("first", TimeSpan.FromSeconds(30)), "the first draft past its retention was not removed");

            // A draft saved now is removed only by a later sweep: the timer's, once the clock has moved on two days.
            await AddDraftAsync("second");
            _clock.Advance(TimeSpan.FromDays(2));
            Assert.True(await GoneWithinAsync("second", TimeSpan.FromSeconds(30)), "the sweep did not run when the app's clock passed its interval");
        }
        finally
        {
            await purge.StopAsync(CancellationToken.None);
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
