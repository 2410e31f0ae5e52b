using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rhizotomy.App.Drafts;
using Rhizotomy.App.WriteBack;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.WriteBack;

/// <summary>
/// The store's schema is EF Core migrations applied at start: a store the release before them wrote
/// (<c>EnsureCreated</c>, no history; shipped under <c>TestData/release-store</c>) opens with nothing lost,
/// and a new store on SQLite or PostgreSQL is created by the migrations.
/// </summary>
public sealed class StoreUpgradeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rhizotomy-store-upgrade-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private WebApplication App(string provider, string connection, string keys, string? audit = null) =>
        AppHost.Build(["--urls", "http://127.0.0.1:0"], b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["App:PublicOrigin"] = "http://127.0.0.1:5090",
            ["App:DataProtectionKeys"] = keys,
            ["App:WriteBack:Provider"] = provider,
            ["App:WriteBack:ConnectionString"] = connection,
            ["App:Audit:ConnectionString"] = audit,
            // Nothing is sent: the pending note must still be pending after the upgrade.
            ["App:WriteBack:SenderEnabled"] = "false",
            ["App:Warmup:Enabled"] = "false",
            ["App:Ehrs:0:Issuer"] = "http://127.0.0.1:5080/fhir",
            ["App:Ehrs:0:ClientId"] = "rhizotomy-app",
            ["App:Ehrs:0:AuthMethod"] = "Public",
            ["App:Ehrs:0:Custodian"] = "Organization/sandbox-hospital",
            ["Serilog:MinimumLevel:Default"] = "Warning",
        }));

    private static async Task<List<string>> AppliedAsync(WebApplication app)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<WriteBackDb>>().CreateDbContextAsync();
        return [.. await db.Database.GetAppliedMigrationsAsync()];
    }

    [Fact]
    public async Task A_store_written_by_the_release_before_migrations_opens_with_nothing_lost()
    {
        var release = Path.Combine(AppContext.BaseDirectory, "WriteBack", "TestData", "release-store");
        File.Copy(Path.Combine(release, "outbox.db"), Path.Combine(_folder, "outbox.db"));
        var keys = Directory.CreateDirectory(Path.Combine(_folder, "app-keys")).FullName;
        foreach (var key in Directory.GetFiles(Path.Combine(release, "app-keys")))
            File.Copy(key, Path.Combine(keys, Path.GetFileName(key)));

        await using var app = App("sqlite", $"Data Source={Path.Combine(_folder, "outbox.db")}", keys);
        await app.StartAsync();

        // Every migration is recorded: the first taken as what the release had, the later ones run.
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<WriteBackDb>>().CreateDbContextAsync())
        {
            Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        }

        var outbox = app.Services.GetRequiredService<Outbox>();
        var pending = await outbox.FindAsync("release-pending-note", default);
        Assert.NotNull(pending);
        Assert.Equal((NoteStatus.Pending, "transaction", 2, 2, "HTTP 503"), (pending.Status, pending.Strategy, pending.Attempts, pending.RoundTrips, pending.LastError));
        var payload = outbox.Unprotect<NotePayload>(pending.Payload)!;
        Assert.Equal(("test-classic-left", "Encounter/test-classic-left-surgery", "Practitioner/test-surgeon"), (payload.PatientId, payload.Encounter, payload.Surgeon));
        var bundle = new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<Bundle>(payload.Bundle);
        Assert.Equal("release-pending-note", Assert.IsType<QuestionnaireResponse>(Assert.Single(bundle.Entry).Resource).Identifier?.Value);
        var tokens = outbox.Unprotect<TokenState>(pending.Tokens)!;
        Assert.Equal("release-access-token", tokens.AccessToken);
        Assert.Equal("release-refresh-token", tokens.RefreshToken);

        var written = await outbox.FindAsync("release-written-note", default);
        Assert.NotNull(written);
        Assert.Equal(NoteStatus.Written, written.Status);
        Assert.Equal(["DocumentReference/42", "Procedure/41"], Outbox.WrittenOf(written).Values.Order());
        Assert.NotNull(outbox.Unprotect<NotePayload>(written.Payload));

        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<WriteBackDb>>().CreateDbContextAsync())
        {
            var draft = await db.Drafts.AsNoTracking().SingleAsync();
            var content = outbox.Unprotect<DraftContent>(draft.Payload)!;
            var response = new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<QuestionnaireResponse>(content.Response);
            Assert.Equal("release-draft-note", response.Identifier?.Value);
            Assert.NotEmpty(response.Item);
        }

        // Still a working store: a new note goes in beside the old ones, and a restart migrates nothing again.
        var (_, created) = await outbox.AddAsync(new OutboxNote
        {
            Id = "after-upgrade", OwnerKey = pending.OwnerKey, SurgeonKey = pending.SurgeonKey, Issuer = pending.Issuer, Status = NoteStatus.Pending,
            Payload = pending.Payload, Tokens = pending.Tokens,
        }, default);
        Assert.True(created);
        await app.StopAsync();
        await using var again = App("sqlite", $"Data Source={Path.Combine(_folder, "outbox.db")}", keys);
        await again.StartAsync();
        Assert.Equal(3, await again.Services.GetRequiredService<Outbox>().CountAsync(NoteStatus.Pending, default) + await again.Services.GetRequiredService<Outbox>().CountAsync(NoteStatus.Written, default));
        await again.StopAsync();
    }

    [Fact]
    public async Task A_new_sqlite_store_is_created_by_the_migrations()
    {
        await using var app = App("sqlite", $"Data Source={Path.Combine(_folder, "new.db")}", Path.Combine(_folder, "keys"));
        await app.StartAsync();
        Assert.NotEmpty(await AppliedAsync(app));
        await app.StopAsync();
    }

    [Fact]
    public async Task An_audit_store_that_created_its_table_itself_opens_with_its_rows_beside_the_outbox_in_one_database()
    {
        // The audit store before migrations: its table, no history, here in the outbox's own file.
        var file = $"Data Source={Path.Combine(_folder, "shared.db")}";
        await using (var db = new Rhizotomy.App.Audit.SqliteAuditDb(new DbContextOptionsBuilder<Rhizotomy.App.Audit.SqliteAuditDb>().UseSqlite(file).Options))
        {
            Assert.True(await db.Database.EnsureCreatedAsync());
            db.Records.Add(new Rhizotomy.App.Audit.AuditRecord { Time = 1, Action = Rhizotomy.App.Audit.AuditActions.OpenCase, Issuer = "http://127.0.0.1:5080/fhir", Patient = "Patient/p" });
            await db.SaveChangesAsync();
        }

        await using var app = App("sqlite", file, Path.Combine(_folder, "keys"), audit: file);
        await app.StartAsync();
        await using (var audit = await app.Services.GetRequiredService<IDbContextFactory<Rhizotomy.App.Audit.AuditDb>>().CreateDbContextAsync())
        {
            Assert.Equal(audit.Database.GetMigrations(), await audit.Database.GetAppliedMigrationsAsync());
            Assert.Equal("Patient/p", (await audit.Records.AsNoTracking().SingleAsync()).Patient);
        }
        await using (var outbox = await app.Services.GetRequiredService<IDbContextFactory<WriteBackDb>>().CreateDbContextAsync())
            Assert.Equal(outbox.Database.GetMigrations(), await outbox.Database.GetAppliedMigrationsAsync());
        await app.StopAsync();
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task On_postgresql_a_new_store_is_migrated_and_a_release_store_is_taken_as_the_first_migration()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var fresh = postgres.ConnectionString;
        await using (var app = App("postgres", fresh, Path.Combine(_folder, "keys")))
        {
            await app.StartAsync();
            Assert.NotEmpty(await AppliedAsync(app));
            await app.StopAsync();
        }

        // The release's schema (EnsureCreated, no history) in another database, with a note in it.
        var releaseDb = fresh.Replace("Database=postgres", "Database=release_store", StringComparison.Ordinal);
        await using (var connection = new Npgsql.NpgsqlConnection(fresh))
        {
            await connection.OpenAsync();
            await using var create = new Npgsql.NpgsqlCommand("CREATE DATABASE release_store", connection);
            await create.ExecuteNonQueryAsync();
        }
        await using (var db = new WriteBackDb(new DbContextOptionsBuilder<WriteBackDb>().UseNpgsql(releaseDb).Options))
        {
            Assert.True(await db.Database.EnsureCreatedAsync());
            // EnsureCreated builds today's model: the tables later migrations add were not in the release's store.
            await db.Database.ExecuteSqlRawAsync("DROP TABLE ehr_write_memory");
            db.Notes.Add(new OutboxNote { Id = "release-note", OwnerKey = "o", SurgeonKey = "s", Issuer = "http://127.0.0.1:5080/fhir", Status = NoteStatus.Written, Written = "{}" });
            await db.SaveChangesAsync();
        }
        await using (var app = App("postgres", releaseDb, Path.Combine(_folder, "keys")))
        {
            await app.StartAsync();
            await using var db = await app.Services.GetRequiredService<IDbContextFactory<WriteBackDb>>().CreateDbContextAsync();
            Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
            Assert.Equal(NoteStatus.Written, (await db.Notes.AsNoTracking().SingleAsync(n => n.Id == "release-note")).Status);
            await app.StopAsync();
        }
        Npgsql.NpgsqlConnection.ClearAllPools();
    }
}
