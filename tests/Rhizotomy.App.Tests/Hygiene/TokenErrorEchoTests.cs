using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Configuration;

namespace Rhizotomy.App.Tests.Hygiene;

/// <summary>
/// An EHR whose token endpoint echoes a token and a patient's name in its <c>error</c> field (the
/// sandbox cannot be made to misbehave so): the app's log and page keep neither.
/// </summary>
public class TokenErrorEchoTests
{
    private const string Echo = "invalid_grant: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln for Margaret Ellison MRN-100001";

    [Fact]
    public async Task A_Fake_ehr_echoing_a_token_and_a_name_in_its_token_error_leaves_neither_in_the_log_or_the_page()
    {
        await using var ehr = await RecordingServer.StartAsync(app =>
        {
            app.MapGet("/fhir/.well-known/smart-configuration", (HttpContext c) => Results.Json(new Dictionary<string, object>
            {
                ["issuer"] = $"http://{c.Request.Host}/fhir",
                ["authorization_endpoint"] = $"http://{c.Request.Host}/authorize",
                ["token_endpoint"] = $"http://{c.Request.Host}/token",
                ["capabilities"] = new[] { "launch-ehr", "client-public", "permission-v2" },
                ["code_challenge_methods_supported"] = new[] { "S256" },
                ["scopes_supported"] = new[] { "launch", "openid", "fhirUser", "patient/*.rs" },
            }));
            app.MapPost("/token", () => Results.Json(new Dictionary<string, string> { ["error"] = Echo }, statusCode: 400));
        });
        var folder = Directory.CreateTempSubdirectory("rhizotomy-hygiene-").FullName;
        var origin = $"http://127.0.0.1:{SmartWorld.FreePort()}";
        var key = "echo-" + Guid.NewGuid().ToString("N");
        var config = new Dictionary<string, string?>
        {
            ["App:PublicOrigin"] = origin,
            ["App:DataProtectionKeys"] = Path.Combine(folder, "keys"),
            ["App:Ehrs:0:Issuer"] = ehr.Origin + "/fhir",
            ["App:Ehrs:0:ClientId"] = "echo-client",
            ["App:Ehrs:0:AuthMethod"] = "Public",
            ["App:Ehrs:0:Custodian"] = "Organization/test-hospital",
        };
        foreach (var (k, v) in LogCapture.Configuration(key))
            config[k] = v;
        var app = AppHost.Build(["--urls", origin], b => b.Configuration.AddInMemoryCollection(config));
        await app.StartAsync();
        try
        {
            var (browser, _) = HygieneWorldBase.NewBrowser();
            using var __ = browser;
            using var toAuthorize = await browser.GetAsync(new Uri($"{origin}/launch?iss={Uri.EscapeDataString(ehr.Origin + "/fhir")}&launch=echo-launch"));
            Assert.Equal(HttpStatusCode.Redirect, toAuthorize.StatusCode);
            var state = QueryHelpers.ParseQuery(toAuthorize.Headers.Location!.Query)["state"].ToString();

            using var callback = await browser.GetAsync(new Uri($"{origin}/callback?code=echo-code-123&state={state}"));
            var page = await callback.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.BadGateway, callback.StatusCode);
            Assert.Contains(ehr.Requests, r => r.Path == "/token");
            var log = LogCapture.For(key).Text;
            Assert.Contains("Token exchange failed", log, StringComparison.Ordinal);
            foreach (var text in new[] { log, page })
            {
                Assert.DoesNotContain("eyJ", text, StringComparison.Ordinal);
                Assert.DoesNotContain("Ellison", text, StringComparison.Ordinal);
                Assert.DoesNotContain("MRN-100001", text, StringComparison.Ordinal);
                Assert.DoesNotContain("echo-code-123", text, StringComparison.Ordinal);
            }
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }
}
