using System.Security.Cryptography;
using System.Text.Json;
using Rhizotomy.App.Tests.WriteBack;
using Rhizotomy.Cli;

namespace Rhizotomy.App.Tests.Interop;

/// <summary>Issue 14 point 7: <c>rhizotomy ehr-check</c> against the sandbox in every mode (the CLI run in-process, the sandbox over loopback).</summary>
public class EhrCheckTests
{
    private const string BackendClientId = "rhizotomy-ehr-check";

    /// <summary>Runs the CLI; returns the exit code, the output and the errors.</summary>
    public static (int Exit, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = CliApp.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>Runs <c>ehr-check --json</c> against <paramref name="issuer"/> and reads the checks by name.</summary>
    public static (int Exit, JsonElement Report, Dictionary<string, JsonElement> Checks, string Error) Json(string issuer, params string[] more)
    {
        var (exit, output, error) = Run(["ehr-check", "--issuer", issuer, "--json", .. more]);
        var report = JsonDocument.Parse(output).RootElement.Clone();
        var checks = report.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("check").GetString()!, c => c);
        return (exit, report, checks, error);
    }

    [Theory]
    [InlineData("full", "transaction", "no")]
    [InlineData("oracle-like", "transaction", "no")]
    [InlineData("epic-like", "document-only", "yes")]
    public async Task The_check_reports_each_sandbox_mode_with_the_strategy_the_app_will_use(string mode, string strategy, string encounter)
    {
        await using var world = await SigningTests.WorldAsync(mode);

        var (exit, report, checks, error) = Json(world.Issuer);

        Assert.True(exit == 0, $"ehr-check exited {exit}: {report}\n{error}");
        Assert.True(report.GetProperty("canWork").GetBoolean());
        Assert.Equal(strategy, report.GetProperty("strategy").GetString());
        Assert.Equal(strategy, checks["Write strategy"].GetProperty("result").GetString());
        Assert.Equal(encounter, checks["Encounter required"].GetProperty("result").GetString());
        Assert.Equal("ok", checks["SMART discovery"].GetProperty("level").GetString());
        Assert.Equal("offered", checks["PKCE S256"].GetProperty("result").GetString());
        Assert.Equal("4.0.1", checks["FHIR version"].GetProperty("result").GetString());
        Assert.Equal(mode == "epic-like" ? "not supported" : "supported", checks["Transaction"].GetProperty("result").GetString());
        Assert.Equal("read, search", checks["Read Condition"].GetProperty("result").GetString());

        // The table says the same for people.
        var (tableExit, table, _) = Run("ehr-check", "--issuer", world.Issuer);
        Assert.Equal(0, tableExit);
        Assert.Contains("Write strategy", table, StringComparison.Ordinal);
        Assert.Contains("verdict: the app can work with this EHR", table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_capability_statement_is_reported_with_the_skipped_paths_and_does_not_stop_the_app()
    {
        await using var world = await SigningTests.WorldAsync("full", more: o => o.Sandbox["Sandbox:Fhir:WildMetadata"] = "true");

        var (exit, _, checks, _) = Json(world.Issuer);

        Assert.Equal(0, exit);
        var capability = checks["CapabilityStatement"];
        Assert.Equal("warn", capability.GetProperty("level").GetString());
        Assert.Contains("CapabilityStatement.rest[].resource[].interaction[].code", capability.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("transaction", checks["Write strategy"].GetProperty("result").GetString());
    }

    [Fact]
    public async Task An_ehr_that_cannot_be_reached_exits_non_zero_with_the_reason()
    {
        var (exit, _, error) = Run("ehr-check", "--issuer", $"http://127.0.0.1:{Loopback.FreePort()}/fhir");

        Assert.Equal(1, exit);
        Assert.Contains("the app cannot work with this EHR: SMART discovery: not found", error, StringComparison.Ordinal);
        Assert.Equal(2, Run("ehr-check").Exit);
    }

    [Theory]
    [InlineData("full", "transaction", 2)]
    [InlineData("epic-like", "document-only", 1)]
    public async Task The_write_test_writes_reads_back_and_cleans_up_with_the_chosen_strategy(string mode, string strategy, int written)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP384).ExportPkcs8PrivateKeyPem();
        await using var world = await SigningTests.WorldAsync(mode, more: o => BackendServicesTests.RegisterAtSandbox(o, BackendClientId, key));
        // The same settings file shape the app reads (App:Ehrs), in a folder of this test only.
        var folder = Directory.CreateTempSubdirectory("ehr-check-");
        try
        {
            var settings = Path.Combine(folder.FullName, "appsettings.json");
            await File.WriteAllTextAsync(settings, JsonSerializer.Serialize(new
            {
                App = new { Ehrs = new[] { new { Issuer = world.Issuer, ClientId = SmartWorld.ClientId, Custodian = "Organization/test-hospital", Backend = new { ClientId = BackendClientId, SigningKey = key, Scopes = "system/*.cruds" } } } },
            }));

            var (exit, report, checks, error) = Json(world.Issuer, "--settings", settings, "--write-test", "test-classic-left");

            Assert.True(exit == 0, error + report);
            var test = checks["Write test"];
            Assert.Equal("ok", test.GetProperty("level").GetString());
            var result = test.GetProperty("result").GetString()!;
            Assert.True(result.StartsWith($"{strategy}: written {written}, read back {written}, deleted {written}", StringComparison.Ordinal), result + " " + test);
            // Cleaned up: nothing of the test is left in the chart.
            Assert.DoesNotContain(await SignedNotes.ChartAsync(world), r => SignedNotes.NoteIds(r).Any(id => id.StartsWith("ehr-check-", StringComparison.Ordinal))
                || r is Hl7.Fhir.Model.DocumentReference { Description: { } d } && d.Contains("ehr-check", StringComparison.Ordinal));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
