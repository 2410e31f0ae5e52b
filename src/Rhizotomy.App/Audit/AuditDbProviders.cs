using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Rhizotomy.App.Audit;

/// <summary>The audit store on SQLite: its migrations are under <c>Audit/Migrations/Sqlite</c>.</summary>
public sealed class SqliteAuditDb(DbContextOptions<SqliteAuditDb> options) : AuditDb(options);

/// <summary>The audit store on PostgreSQL: its migrations are under <c>Audit/Migrations/Postgres</c>.</summary>
public sealed class PostgresAuditDb(DbContextOptions<PostgresAuditDb> options) : AuditDb(options);

/// <summary>For <c>dotnet ef migrations add ... --context SqliteAuditDb</c> (no database is opened).</summary>
public sealed class SqliteAuditDbDesignFactory : IDesignTimeDbContextFactory<SqliteAuditDb>
{
    public SqliteAuditDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteAuditDb>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>For <c>dotnet ef migrations add ... --context PostgresAuditDb</c> (no database is opened).</summary>
public sealed class PostgresAuditDbDesignFactory : IDesignTimeDbContextFactory<PostgresAuditDb>
{
    public PostgresAuditDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresAuditDb>().UseNpgsql("Host=localhost;Database=design-time").Options);
}
