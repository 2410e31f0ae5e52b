using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Rhizotomy.App.Tests;

/// <summary>
/// Settings that would break a launch or signing stop the start, one line per setting naming it and what to
/// put there (before: a missing custodian started fine and signing answered 500).
/// </summary>
public sealed class AppSettingsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rhizotomy-app-settings-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private WebApplication Build(Dictionary<string, string?> changes)
    {
        var config = new Dictionary<string, string?>
        {
            ["App:PublicOrigin"] = "http://127.0.0.1:5999",
            ["App:DataProtectionKeys"] = Path.Combine(_folder, "keys"),
            ["App:WriteBack:ConnectionString"] = "Data Source=" + Path.Combine(_folder, "outbox.db"),
            ["App:Warmup:Enabled"] = "false",
            ["App:Ehrs:0:Issuer"] = "https://ehr.example.org/fhir",
            ["App:Ehrs:0:ClientId"] = "settings-test",
            ["App:Ehrs:0:AuthMethod"] = "Public",
            ["App:Ehrs:0:Custodian"] = "Organization/test-hospital",
            ["Serilog:MinimumLevel:Default"] = "Warning",
        };
        // A null value: the setting is not there at all.
        foreach (var (key, value) in changes)
        {
            if (value is null)
                config.Remove(key);
            else
                config[key] = value;
        }
        // Its own content root: no appsettings.json under it (the test folder has the app's) fills in what the test left out.
        return AppHost.Build(["--urls", "http://127.0.0.1:0", "--contentRoot", _folder], b => b.Configuration.AddInMemoryCollection(config));
    }

    /// <summary>Builds and starts the app (the options are read while it is built, or at the latest when it starts), then stops it.</summary>
    private async Task StartAsync(Dictionary<string, string?> changes)
    {
        await using var app = Build(changes);
        await app.StartAsync();
        await app.StopAsync();
    }

    [Theory]
    [InlineData("App:Ehrs:0:Custodian", null, "App:Ehrs:0:Custodian is '': put the organisation that keeps the notes as a reference, such as Organization/123")]
    [InlineData("App:Ehrs:0:Custodian", "Hospital", "App:Ehrs:0:Custodian is 'Hospital'")]
    [InlineData("App:Ehrs:0:Issuer", "ehr.example.org", "App:Ehrs:0:Issuer is 'ehr.example.org': put the EHR's FHIR base URL")]
    [InlineData("App:Ehrs:0:ClientId", "", "App:Ehrs:0:ClientId is empty")]
    [InlineData("App:Ehrs:0:AuthMethod", "ClientSecretBasic", "App:Ehrs:0:ClientSecret is empty")]
    [InlineData("App:Ehrs:0:AuthMethod", "Password", "App:Ehrs:0 could not be read: check that AuthMethod is Public, ClientSecretBasic or PrivateKeyJwt")]
    [InlineData("App:Ehrs:0:WriteStrategy", "batch", "App:Ehrs:0:WriteStrategy is 'batch': put transaction, individual or document-only")]
    [InlineData("App:PublicOrigin", "rhizotomy.example.org", "App:PublicOrigin is 'rhizotomy.example.org'")]
    public async Task A_setting_that_breaks_launch_or_signing_stops_the_start_in_one_line(string key, string? value, string expected)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(new() { [key] = value }));
        var lines = StartupSettings.Describe(error)!;
        var line = Assert.Single(lines);
        Assert.StartsWith("Setting error: " + expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public async Task An_app_with_no_ehr_does_not_start()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            StartAsync(new() { ["App:Ehrs:0:Issuer"] = null, ["App:Ehrs:0:ClientId"] = null, ["App:Ehrs:0:AuthMethod"] = null, ["App:Ehrs:0:Custodian"] = null }));
        Assert.StartsWith("App:Ehrs is empty", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_store_provider_is_named_while_the_host_is_built()
    {
        var error = Assert.Throws<SettingsException>(() => Build(new() { ["App:WriteBack:Provider"] = "mysql" }));
        Assert.Equal(["Setting error: App:WriteBack:Provider is 'mysql': put sqlite or postgres."], StartupSettings.Describe(error));
    }

    [Fact]
    public void A_lease_no_longer_than_the_attempt_timeout_is_named_while_the_host_is_built()
    {
        var error = Assert.Throws<SettingsException>(() => Build(new() { ["App:WriteBack:LeaseSeconds"] = "3" }));
        Assert.Equal(["Setting error: App:WriteBack:LeaseSeconds is 3 and App:WriteBack:AttemptTimeoutSeconds is 30: put an attempt timeout above 0 and a lease longer than it, such as 60 and 30."],
            StartupSettings.Describe(error));
    }

    [Fact]
    public void A_coding_table_that_cannot_be_read_is_named_while_the_host_is_built()
    {
        var table = Path.Combine(_folder, "site-codes.json");
        File.WriteAllText(table, """{ "system": "http://www.ama-assn.org/go/cpt", "rows": [ { "nerve": "greater-occipital-nerve", "code": "64744" } ] }""");
        var error = Assert.Throws<SettingsException>(() => Build(new() { ["App:Coding:Table"] = table }));
        Assert.Equal(["Setting error: App:Coding:Table cannot be used: The coding table site-codes.json has a row without nerve, technique or code (row 1)."],
            StartupSettings.Describe(error));
    }

    [Fact]
    public async Task Complete_settings_start()
    {
        await StartAsync([]);
    }
}
