using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Rhizotomy.App.Drafts;

namespace Rhizotomy.App.WriteBack;

/// <summary>Registration of signing and write-back: the store, the sender, the API.</summary>
public static class WriteBackSetup
{
    public static WebApplicationBuilder AddWriteBack(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(WriteBackOptions.Section);
        builder.Services.AddOptions<WriteBackOptions>().Bind(section);
        var options = section.Get<WriteBackOptions>() ?? new WriteBackOptions();

        if (options.Provider?.ToLowerInvariant() is not ("sqlite" or "postgres"))
            throw new SettingsException($"App:WriteBack:Provider is '{options.Provider}': put sqlite or postgres.");
        // A sender that dies mid-attempt leaves its claim: another may take the note only once the dead one's call to
        // the EHR has surely ended, or an EHR without conditional create could file the note twice.
        if (options.AttemptTimeoutSeconds <= 0 || options.LeaseSeconds <= options.AttemptTimeoutSeconds)
            throw new SettingsException($"App:WriteBack:LeaseSeconds is {options.LeaseSeconds} and App:WriteBack:AttemptTimeoutSeconds is {options.AttemptTimeoutSeconds}: "
                + "put an attempt timeout above 0 and a lease longer than it, such as 60 and 30.");
        if (string.Equals(options.Provider, "postgres", StringComparison.OrdinalIgnoreCase))
        {
            var connection = options.ConnectionString is { Length: > 0 } given ? given : throw new SettingsException("App:WriteBack:ConnectionString is empty: Provider postgres needs a PostgreSQL connection string (Host=...;Database=...;Username=...).");
            builder.Services.AddStore<WriteBackDb, SqliteWriteBackDb, PostgresWriteBackDb>(postgres: true, connection);
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
            builder.Services.AddStore<WriteBackDb, SqliteWriteBackDb, PostgresWriteBackDb>(postgres: false, connection);
        }

        builder.Services.TryAddSingleton(_ => Form.FormSetup.LoadTemplates(builder.Configuration));
        builder.Services.AddSingleton<Outbox>();
        builder.Services.AddSingleton<EhrWriter>();
        builder.Services.AddSingleton<WritePlanner>();
        builder.Services.AddSingleton<WriteLadder>();
        builder.Services.AddSingleton<EncounterLookup>();
        builder.Services.AddOptions<DraftOptions>().Bind(builder.Configuration.GetSection(DraftOptions.Section));
        builder.Services.AddSingleton<DraftStore>();
        builder.Services.AddHostedService<DraftPurge>();
        builder.Services.AddSingleton<NoteSender>();
        builder.Services.AddSingleton<NoteSigning>();
        // Coding support for coders (App:Coding:Table): read at start, so a table that cannot be used stops the app with its message.
        builder.Services.AddSingleton(LoadComposerOptions(builder.Configuration));
        if (options.SenderEnabled)
            builder.Services.AddHostedService(sp => sp.GetRequiredService<NoteSender>());
        return builder;
    }

    /// <summary>
    /// What the composer applies to each signed note: the site's coding table <c>App:Coding:Table</c> (a JSON file, relative
    /// to the working folder; see <c>profiles/coding/</c>) gives each filed Procedure its suggested code and laterality
    /// modifier. Without it no code is suggested (the shipped table is empty: CPT content is licensed).
    /// </summary>
    public static Core.Notes.NoteComposerOptions LoadComposerOptions(IConfiguration configuration)
    {
        var path = configuration["App:Coding:Table"];
        if (string.IsNullOrWhiteSpace(path))
            return new Core.Notes.NoteComposerOptions();
        try
        {
            return new Core.Notes.NoteComposerOptions(Core.Notes.CodingTable.Load(Path.GetFullPath(path)));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"App:Coding:Table cannot be used: {e.Message}");
        }
    }

    public static IEndpointRouteBuilder MapWriteBack(this IEndpointRouteBuilder app)
    {
        using (var scope = app.ServiceProvider.CreateScope())
        {
            using var db = scope.ServiceProvider.GetRequiredService<IDbContextFactory<WriteBackDb>>().CreateDbContext();
            // The schema is the store's migrations; a store made before them (EnsureCreated) is taken as their first.
            StoreMigrations.Apply(db, probeTable: "outbox_notes");
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
