using System.Net;
using Microsoft.Extensions.Configuration;

namespace Rhizotomy.App.Tests.Hygiene;

/// <summary>
/// A real failure inside the app (its session store, Redis, unreachable) reaches the browser as a
/// plain page, and the log that records it carries no protocol value or patient id.
/// </summary>
[Collection(HygieneWorldCollection.Name)]
public class ForcedErrorTests(HygieneWorld fixture)
{
    [Fact]
    public async Task An_unreachable_session_store_gives_a_plain_500_page_and_a_log_without_protocol_values()
    {
        var folder = Directory.CreateTempSubdirectory("rhizotomy-hygiene-").FullName;
        var origin = $"http://127.0.0.1:{SmartWorld.FreePort()}";
        var key = "broken-" + Guid.NewGuid().ToString("N");
        var config = new Dictionary<string, string?>
        {
            ["App:PublicOrigin"] = origin,
            ["App:DataProtectionKeys"] = Path.Combine(folder, "keys"),
            // A closed port: every session read or write fails.
            ["App:Redis"] = $"127.0.0.1:{SmartWorld.FreePort()},abortConnect=false,connectTimeout=300,syncTimeout=500,asyncTimeout=500,connectRetry=0",
            ["App:Ehrs:0:Issuer"] = fixture.World.Issuer,
            ["App:Ehrs:0:ClientId"] = SmartWorld.ClientId,
            ["App:Ehrs:0:AuthMethod"] = "Public",
            ["App:Ehrs:0:Custodian"] = "Organization/test-hospital",
        };
        foreach (var (k, v) in LogCapture.Configuration(key))
            config[k] = v;
        var app = AppHost.Build(["--urls", origin], b => b.Configuration.AddInMemoryCollection(config));
        await app.StartAsync();
        try
        {
            using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(60) };
            const string Launch = "forced-error-launch-value-7f3a";
            using var response = await browser.GetAsync(new Uri($"{origin}/launch?iss={Uri.EscapeDataString(fixture.World.Issuer)}&launch={Launch}&patient=classic-left"));
            var html = await response.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Contains("Something went wrong", html, StringComparison.Ordinal);
            Assert.Empty(ResponseHygieneTests.InternalsIn(html));
            Assert.True(response.Headers.CacheControl?.NoStore == true);

            var log = LogCapture.For(key).Text;
            Assert.Contains("Redis", log, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Launch, log, StringComparison.Ordinal);
            Assert.DoesNotContain("classic-left", log, StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }
}
