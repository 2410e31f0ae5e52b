using Microsoft.EntityFrameworkCore;

namespace Rhizotomy.App.WriteBack;

/// <summary>
/// The provider switch of the app's stores (the outbox's <see cref="WriteBackDb"/>, the audit trail's <c>AuditDb</c>): each store is a
/// context with a derived context per provider that owns that provider's migrations; the app works with the store's type only.
/// </summary>
public static class AppStore
{
    /// <summary>
    /// Registers <typeparamref name="TSqlite"/> or <typeparamref name="TPostgres"/> and hands it out as <c>IDbContextFactory&lt;TStore&gt;</c>.
    /// </summary>
    /// <param name="historyTable">The store's migrations history table when it is not EF's default (two stores may share one database).</param>
    public static IServiceCollection AddStore<TStore, TSqlite, TPostgres>(this IServiceCollection services, bool postgres, string connection, string? historyTable = null)
        where TStore : DbContext
        where TSqlite : TStore
        where TPostgres : TStore
    {
        if (postgres)
        {
            services.AddDbContextFactory<TPostgres>(o => o.UseNpgsql(connection, npgsql =>
            {
                if (historyTable is not null)
                    npgsql.MigrationsHistoryTable(historyTable);
            }));
            services.AddSingleton<IDbContextFactory<TStore>>(sp => new StoreFactory<TStore, TPostgres>(sp.GetRequiredService<IDbContextFactory<TPostgres>>()));
        }
        else
        {
            services.AddDbContextFactory<TSqlite>(o => o.UseSqlite(connection, sqlite =>
            {
                if (historyTable is not null)
                    sqlite.MigrationsHistoryTable(historyTable);
            }));
            services.AddSingleton<IDbContextFactory<TStore>>(sp => new StoreFactory<TStore, TSqlite>(sp.GetRequiredService<IDbContextFactory<TSqlite>>()));
        }
        return services;
    }
}

/// <summary>Hands out the provider's context as the store type the app works with.</summary>
public sealed class StoreFactory<TStore, TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<TStore>
    where TStore : DbContext
    where TContext : TStore
{
    public TStore CreateDbContext() => inner.CreateDbContext();
}
