using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Sandbox.Ehr.Auth;

/// <summary>
/// Brings the auth store to the current schema at start. A store created before migrations existed (by
/// <c>EnsureCreated</c>: OpenIddict's tables, no migrations history) holds exactly the first migration's
/// schema: that migration is recorded as applied, then the later ones run. The app's stores do the same
/// (<c>StoreMigrations</c> in the app), on SQLite and PostgreSQL; this store is SQLite only.
/// </summary>
public static class AuthStoreMigrations
{
    /// <summary>A table the first migration creates: its presence without a history says the store predates migrations.</summary>
    public const string ProbeTable = "OpenIddictApplications";

    public static async Task ApplyAsync(AuthDbContext db, CancellationToken ct)
    {
        var history = db.GetService<IHistoryRepository>();
        if (!await history.ExistsAsync(ct) && await TableExistsAsync(db, ProbeTable, ct))
        {
            await db.Database.ExecuteSqlRawAsync(history.GetCreateScript(), ct);
            var first = db.Database.GetMigrations().First();
            await db.Database.ExecuteSqlRawAsync(history.GetInsertScript(new HistoryRow(first, ProductInfo.GetVersion())), ct);
        }
        await db.Database.MigrateAsync(ct);
    }

    private static async Task<bool> TableExistsAsync(DbContext db, string table, CancellationToken ct) =>
        await db.Database.SqlQueryRaw<int>("SELECT count(*) AS \"Value\" FROM sqlite_master WHERE type = 'table' AND name = {0}", table)
            .SingleAsync(ct) > 0;
}
