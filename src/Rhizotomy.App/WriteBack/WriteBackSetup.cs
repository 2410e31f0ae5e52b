using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Rhizotomy.App.Drafts;
using Rhizotomy.Core.Templates;

namespace Rhizotomy.App.WriteBack;

/// <summary>Registration of signing and write-back: the store, the sender, the API.</summary>
public static class WriteBackSetup
{
    public static WebApplicationBuilder AddWriteBack(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(WriteBackOptions.Section);
        builder.Services.AddOptions<WriteBackOptions>().Bind(section);
        var options = section.Get<WriteBackOptions>() ?? new WriteBackOptions();

        if (string.Equals(options.Provider, "postgres", StringComparison.OrdinalIgnoreCase))
        {
            var connection = options.ConnectionString ?? throw new InvalidOperationException("App:WriteBack:ConnectionString is required for PostgreSQL.");
            builder.Services.AddDbContextFactory<WriteBackDb>(o => o.UseNpgsql(connection));
        }
        else
        {
            var connection = options.ConnectionString;
            if (string.IsNullOrWhiteSpace(connection))
            {
                var folder = Path.Combine(builder.Environment.ContentRootPath, "App_Data");
                Directory.CreateDirectory(folder);
                connection = "Data Source=" + Path.Combine(folder, "outbox.db");
            }
            builder.Services.AddDbContextFactory<WriteBackDb>(o => o.UseSqlite(connection));
        }

        builder.Services.TryAddSingleton(_ => TemplateCatalog.LoadDefault());
        builder.Services.AddSingleton<Outbox>();
        builder.Services.AddSingleton<EhrWriter>();
        builder.Services.AddSingleton<WritePlanner>();
        builder.Services.AddSingleton<EncounterLookup>();
        builder.Services.AddOptions<DraftOptions>().Bind(builder.Configuration.GetSection(DraftOptions.Section));
        builder.Services.AddSingleton<DraftStore>();
        builder.Services.AddHostedService<DraftPurge>();
        builder.Services.AddSingleton<NoteSender>();
        builder.Services.AddSingleton<NoteSigning>();
        if (options.SenderEnabled)
            builder.Services.AddHostedService(sp => sp.GetRequiredService<NoteSender>());
        // No resilience handler: the outbox owns retries, so every attempt is counted and a write is never repeated blindly.
        builder.Services.AddHttpClient(EhrWriter.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan);
        return builder;
    }

    public static IEndpointRouteBuilder MapWriteBack(this IEndpointRouteBuilder app)
    {
        using (var scope = app.ServiceProvider.CreateScope())
        {
            using var db = scope.ServiceProvider.GetRequiredService<IDbContextFactory<WriteBackDb>>().CreateDbContext();
            db.Database.EnsureCreated();
            if (db.Database.IsSqlite())
                // Readers do not wait for the writer; many notes are signed and sent at once.
                db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
        }
        app.MapNotesApi();
        app.MapDraftsApi();
        app.MapSignedNotePage();
        return app;
    }
}
