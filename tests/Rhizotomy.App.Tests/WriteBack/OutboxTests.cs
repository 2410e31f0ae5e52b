using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Rhizotomy.App.WriteBack;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.WriteBack;

/// <summary>
/// The outbox's own rules on a real SQLite file, with a clock the test moves: who may save a copy
/// of a row, and what a purge does to copies read before it.
/// </summary>
[Trait("Category", "Slow")]
public sealed class OutboxTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rhizotomy-outbox-").FullName;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly PooledDbContextFactory<WriteBackDb> _factory;
    private readonly Outbox _outbox;

    public OutboxTests()
    {
        _factory = new PooledDbContextFactory<WriteBackDb>(new DbContextOptionsBuilder<WriteBackDb>()
            .UseSqlite("Data Source=" + Path.Combine(_folder, "outbox.db")).Options);
        using (var db = _factory.CreateDbContext())
            db.Database.EnsureCreated();
        _outbox = new Outbox(_factory, new EphemeralDataProtectionProvider(),
            Options.Create(new WriteBackOptions { RetentionHours = 1, LeaseSeconds = 60 }), _clock);
    }

    private async Task<OutboxNote> StoredNoteAsync(string id)
    {
        var (note, created) = await _outbox.AddAsync(new OutboxNote
        {
            Id = id,
            OwnerKey = "owner",
            SurgeonKey = "surgeon",
            Issuer = "http://ehr.example/fhir",
            Status = NoteStatus.Pending,
            CreatedAt = _outbox.Now,
            NextAttemptAt = _outbox.Now,
            Payload = _outbox.Protect(new NotePayload("{}", "p1", null, "Practitioner/s1")),
            Tokens = _outbox.Protect(new TokenState("access", "refresh", _clock.GetUtcNow().AddHours(1), "http://ehr.example/token", null, null)),
        }, CancellationToken.None);
        Assert.True(created);
        return note;
    }

    private async Task<OutboxNote> WrittenAsync(OutboxNote claimed)
    {
        claimed.Status = NoteStatus.Written;
        claimed.WrittenAt = _outbox.Now;
        claimed.PurgeAfter = claimed.WrittenAt + (long)TimeSpan.FromHours(1).TotalMilliseconds;
        Assert.True(await _outbox.SaveAsync(claimed, release: true, CancellationToken.None));
        return claimed;
    }

    [Fact]
    public async Task A_purge_outdates_every_copy_read_before_it_so_the_purged_row_keeps_its_status_and_no_content_comes_back()
    {
        await StoredNoteAsync("purged-note");
        var sendersCopy = await WrittenAsync((await _outbox.ClaimAsync("purged-note", CancellationToken.None))!);

        Assert.Equal(0, await _outbox.PurgeAsync(CancellationToken.None));
        _clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        Assert.Equal(1, await _outbox.PurgeAsync(CancellationToken.None));

        // The sender still holds its copy (content, tokens, and whatever status it thinks the note has):
        // saving it now must fail, like any save over a row someone else changed.
        sendersCopy.Status = NoteStatus.Pending;
        sendersCopy.LastError = "internal error";
        Assert.False(await _outbox.SaveAsync(sendersCopy, release: true, CancellationToken.None));

        var row = (await _outbox.FindAsync("purged-note", CancellationToken.None))!;
        Assert.Equal(NoteStatus.Written, row.Status);
        Assert.Null(row.Payload);
        Assert.Null(row.Tokens);
        Assert.Null(row.LastError);
    }

    [Fact]
    public async Task A_save_that_did_not_happen_leaves_the_copy_at_its_version_so_it_cannot_overwrite_a_later_claim()
    {
        await StoredNoteAsync("interrupted-note");
        var first = (await _outbox.ClaimAsync("interrupted-note", CancellationToken.None))!;
        var version = first.Version;

        using (var cancelled = new CancellationTokenSource())
        {
            await cancelled.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _outbox.SaveAsync(first, release: false, cancelled.Token));
        }
        Assert.Equal(version, first.Version);

        // The first sender's lease runs out and another sender claims the note: the first one's copy
        // is now one change behind and its save (a retry later, lease released) must not land.
        _clock.Advance(TimeSpan.FromSeconds(61));
        var second = (await _outbox.ClaimAsync("interrupted-note", CancellationToken.None))!;
        Assert.True(second.Ambiguous);
        first.LastError = "HTTP 503";
        Assert.False(await _outbox.SaveAsync(first, release: true, CancellationToken.None));

        await WrittenAsync(second);
        var row = (await _outbox.FindAsync("interrupted-note", CancellationToken.None))!;
        Assert.Equal(NoteStatus.Written, row.Status);
        Assert.Null(row.LastError);
    }

    [Fact]
    public async Task A_senders_save_never_writes_the_signed_content()
    {
        await StoredNoteAsync("content-note");
        var claimed = (await _outbox.ClaimAsync("content-note", CancellationToken.None))!;
        var signed = claimed.Payload;

        claimed.Payload = null;
        claimed.LastError = "HTTP 503";
        Assert.True(await _outbox.SaveAsync(claimed, release: true, CancellationToken.None));

        var row = (await _outbox.FindAsync("content-note", CancellationToken.None))!;
        Assert.Equal("HTTP 503", row.LastError);
        Assert.Equal(signed, row.Payload);
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
