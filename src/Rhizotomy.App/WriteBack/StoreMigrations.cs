using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Rhizotomy.App.WriteBack;

/// <summary>
/// Brings an app store (a <see cref="DbContext"/> with EF Core migrations) to the current schema at start.
/// A store created before migrations existed (by <c>EnsureCreated</c>, with no migrations history) holds
/// exactly the first migration's schema: that migration is recorded as applied, then the later ones run.
/// </summary>
public static class StoreMigrations
{
    /// <param name="db">The store's context.</param>
    /// <param name="probeTable">A table the first migration creates: its presence without a history says the store predates migrations.</param>
    public static void Apply(DbContext db, string probeTable)
    {
        var firstMigration = db.Database.GetMigrations().First();
        var history = db.GetService<IHistoryRepository>();
        // The store's own history table where it names one (stores that share a database keep their histories apart).
        var historyTable = RelationalOptionsExtension.Extract(db.GetService<IDbContextOptions>()).MigrationsHistoryTableName ?? HistoryRepository.DefaultTableName;
        // Both checks by the same catalogue query (the providers' own Exists differ in where they look).
        if (!TableExists(db, historyTable) && TableExists(db, probeTable))
        {
            db.Database.ExecuteSqlRaw(history.GetCreateScript());
            db.Database.ExecuteSqlRaw(history.GetInsertScript(new HistoryRow(firstMigration, ProductInfo.GetVersion())));
        }
        db.Database.Migrate();
    }

    private static bool TableExists(DbContext db, string table)
    {
        var sql = db.Database.IsNpgsql()
            ? "SELECT count(*)::int AS \"Value\" FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = {0}"
            : "SELECT count(*) AS \"Value\" FROM sqlite_master WHERE type = 'table' AND name = {0}";
        return db.Database.SqlQueryRaw<int>(sql, table).AsEnumerable().First() > 0;
    }
}
