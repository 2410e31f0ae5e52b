using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rhizotomy.App.Audit;
using Rhizotomy.App.Sessions;
using Rhizotomy.App.WriteBack;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Security;

/// <summary>
/// A view of a note is audited once per user and note per <see cref="AuditTrail.ViewWindow"/>, across the app's
/// instances: two instances that share the audit store record one view, not one each.
/// </summary>
public sealed class AuditViewWindowTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rhizotomy-audit-window-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private ServiceProvider Instance()
    {
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        services.AddMemoryCache();
        services.AddSingleton(TimeProvider.System);
        services.AddStore<AuditDb, SqliteAuditDb, PostgresAuditDb>(postgres: false, $"Data Source={Path.Combine(_folder, "audit.db")}", AuditDb.HistoryTable);
        services.AddSingleton<AuditTrail>();
        var provider = services.BuildServiceProvider();
        using var db = provider.GetRequiredService<IDbContextFactory<AuditDb>>().CreateDbContext();
        StoreMigrations.Apply(db, probeTable: "audit_events");
        return provider;
    }

    [Fact]
    public async Task Two_instances_sharing_the_store_record_one_view_of_a_note_in_the_window()
    {
        await using var first = Instance();
        await using var second = Instance();
        var session = new LaunchSession
        {
            LaunchId = "l1", BrowserId = "b1", Issuer = "http://127.0.0.1:5080/fhir", TokenEndpoint = "http://127.0.0.1:5080/token",
            AccessToken = "t", AccessTokenExpiresAt = DateTimeOffset.UtcNow.AddHours(1), GrantedScope = "launch", Patient = "p1",
            FhirUser = "Practitioner/s1", CreatedAt = DateTimeOffset.UtcNow,
        };

        foreach (var instance in new[] { first, second, first, second })
            await instance.GetRequiredService<AuditTrail>().RecordAsync(session, AuditActions.ViewNote, "note-1", CancellationToken.None);
        // Another note, and signing, are their own rows.
        await first.GetRequiredService<AuditTrail>().RecordAsync(session, AuditActions.ViewNote, "note-2", CancellationToken.None);
        await second.GetRequiredService<AuditTrail>().RecordAsync(session, AuditActions.SignNote, "note-1", CancellationToken.None);

        await using var db = await first.GetRequiredService<IDbContextFactory<AuditDb>>().CreateDbContextAsync();
        var rows = await db.Records.AsNoTracking().OrderBy(r => r.Id).Select(r => new { r.Action, r.Note }).ToListAsync();
        Assert.Equal(
            [new { Action = AuditActions.ViewNote, Note = (string?)"note-1" }, new { Action = AuditActions.ViewNote, Note = (string?)"note-2" }, new { Action = AuditActions.SignNote, Note = (string?)"note-1" }],
            rows);
    }
}
