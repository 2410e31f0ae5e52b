using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Rhizotomy.App.WriteBack;

/// <summary>The store on SQLite: its migrations are under <c>WriteBack/Migrations/Sqlite</c>.</summary>
public sealed class SqliteWriteBackDb(DbContextOptions<SqliteWriteBackDb> options) : WriteBackDb(options);

/// <summary>The store on PostgreSQL: its migrations are under <c>WriteBack/Migrations/Postgres</c>.</summary>
public sealed class PostgresWriteBackDb(DbContextOptions<PostgresWriteBackDb> options) : WriteBackDb(options);

/// <summary>For <c>dotnet ef migrations add ... --context SqliteWriteBackDb</c> (no database is opened).</summary>
public sealed class SqliteWriteBackDbDesignFactory : IDesignTimeDbContextFactory<SqliteWriteBackDb>
{
    public SqliteWriteBackDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteWriteBackDb>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>For <c>dotnet ef migrations add ... --context PostgresWriteBackDb</c> (no database is opened).</summary>
public sealed class PostgresWriteBackDbDesignFactory : IDesignTimeDbContextFactory<PostgresWriteBackDb>
{
    public PostgresWriteBackDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresWriteBackDb>().UseNpgsql("Host=localhost;Database=design-time").Options);
}
