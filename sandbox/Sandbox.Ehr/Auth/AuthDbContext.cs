using Microsoft.EntityFrameworkCore;

namespace Sandbox.Ehr.Auth;

/// <summary>OpenIddict's applications, authorizations and tokens (codes, refresh tokens) in SQLite.</summary>
public sealed class AuthDbContext(DbContextOptions<AuthDbContext> options) : DbContext(options);
