using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Sandbox.Ehr.Auth;

/// <summary>
/// OpenIddict's applications, authorizations and tokens (codes, refresh tokens) in SQLite. The schema is the
/// EF Core migrations under <c>Auth/Migrations</c>, applied at start by <see cref="AuthStoreMigrations"/>.
/// </summary>
public sealed class AuthDbContext(DbContextOptions<AuthDbContext> options) : DbContext(options);

/// <summary>For <c>dotnet ef migrations add ... --project sandbox/Sandbox.Ehr --context AuthDbContext</c> (no database is opened).</summary>
public sealed class AuthDbContextDesignFactory : IDesignTimeDbContextFactory<AuthDbContext>
{
    public AuthDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<AuthDbContext>().UseSqlite("Data Source=design-time.db").UseOpenIddict().Options);
}
