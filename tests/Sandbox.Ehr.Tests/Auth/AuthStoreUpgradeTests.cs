using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Sandbox.Ehr.Auth;

namespace Sandbox.Ehr.Tests.Auth;

/// <summary>
/// The auth store's schema is EF Core migrations applied at start: a store written by the release before them
/// (<c>EnsureCreated</c>, no history; <c>TestData/release-auth-store/auth.db</c>, made by that release with an EHR
/// launch, a refresh and a standalone launch) opens with every authorization and token row as it was.
/// </summary>
public sealed class AuthStoreUpgradeTests : IDisposable
{
    /// <summary>The issuer the release's store was written under (configured, so no fixed port is listened on).</summary>
    private const string ReleaseOrigin = "http://127.0.0.1:5080";

    private readonly string _folder = Directory.CreateTempSubdirectory("sandbox-auth-upgrade-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private Dictionary<string, string?> FileStore(string folder) => new()
    {
        ["Sandbox:Storage"] = "file",
        ["Sandbox:DataFolder"] = folder,
        ["Sandbox:PublicOrigin"] = ReleaseOrigin,
    };

    /// <summary>Every row of a table, each column as text, in a stable order.</summary>
    private static List<string> Rows(string file, string table)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM \"{table}\" ORDER BY \"Id\"";
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
            rows.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetName(i) + "=" + (reader.IsDBNull(i) ? "null" : reader.GetValue(i)))));
        return rows;
    }

    /// <summary>The schema as SQLite keeps it (tables and indexes), without the migrations' own tables.</summary>
    private static List<string> Schema(string file)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE '__EFMigrations%' ORDER BY type, name";
        using var reader = command.ExecuteReader();
        var schema = new List<string>();
        while (reader.Read())
            schema.Add(reader.GetString(0));
        return schema;
    }

    [Fact]
    public async Task A_store_written_by_the_release_before_migrations_opens_with_nothing_lost()
    {
        var release = Path.Combine(AppContext.BaseDirectory, "Auth", "TestData", "release-auth-store", "auth.db");
        var file = Path.Combine(_folder, "auth.db");
        File.Copy(release, file);
        var authorizations = Rows(file, "OpenIddictAuthorizations");
        var tokens = Rows(file, "OpenIddictTokens");
        var clients = Rows(file, "OpenIddictApplications").Select(r => r.Split('|').Single(c => c.StartsWith("ClientId=", StringComparison.Ordinal))).ToList();
        Assert.Equal(2, authorizations.Count);
        Assert.Equal(10, tokens.Count);

        await using (var server = await SandboxServer.StartAsync(FileStore(_folder)))
        {
            // Every migration is recorded: the first taken as what the release had, the later ones run.
            await using var scope = server.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
            Assert.NotEmpty(db.Database.GetMigrations());
            Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        }

        // Not a row of an authorization or a token changed; every client is still registered (updated from the configuration).
        Assert.Equal(authorizations, Rows(file, "OpenIddictAuthorizations"));
        Assert.Equal(tokens, Rows(file, "OpenIddictTokens"));
        Assert.All(clients, client => Assert.Contains(Rows(file, "OpenIddictApplications"), row => row.Contains(client, StringComparison.Ordinal)));

        // The release's schema is the first migration's: the upgraded store and a store the migrations create alike.
        var fresh = Directory.CreateDirectory(Path.Combine(_folder, "fresh")).FullName;
        await using (await SandboxServer.StartAsync(FileStore(fresh)))
        {
        }
        Assert.Equal(Schema(Path.Combine(fresh, "auth.db")), Schema(file));

        // Still a working store: a new launch goes in beside the old rows, and a restart migrates nothing again.
        await using var again = await SandboxServer.StartAsync(FileStore(_folder));
        using var browser = again.CreateClient();
        var app = new SmartAppDriver(again, browser);
        var parameters = app.AuthorizeParameters("launch/patient patient/Patient.rs");
        parameters["aud"] = ReleaseOrigin + "/fhir";
        await SmartAppDriver.ExpectAsync(await app.RedeemAsync(await app.AuthorizeForCodeAsync(parameters)), HttpStatusCode.OK);
        Assert.Equal(authorizations.Count + 1, Rows(file, "OpenIddictAuthorizations").Count);
    }
}
