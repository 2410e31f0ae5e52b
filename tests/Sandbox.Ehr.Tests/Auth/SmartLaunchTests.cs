using System.Net;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Sandbox.Ehr.Tests.Auth;

[Collection(SandboxCollection.Name)]
public class SmartLaunchTests(SandboxFixture fixture)
{
    private SandboxServer Server => fixture.Server;

    [Fact]
    public async Task An_ehr_launch_from_the_launcher_yields_the_chart_context_and_an_id_token_naming_the_practitioner()
    {
        using var browser = Server.CreateClient(new CookieContainer());
        var app = new SmartAppDriver(Server, browser);

        // The EHR sends the browser to the app's launch URL with iss and an opaque launch id.
        var launched = await browser.GetAsync(new Uri(
            "/launcher/launch?practitioner=surgeon-1&patient=classic-left&encounter=classic-left-surgery", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, launched.StatusCode);
        var appLaunch = launched.Headers.Location!;
        Assert.Equal("http://127.0.0.1:5090/launch", appLaunch.GetLeftPart(UriPartial.Path));
        var launchQuery = QueryHelpers.ParseQuery(appLaunch.Query);
        Assert.Equal(Server.FhirBase, launchQuery["iss"].ToString());
        var launch = launchQuery["launch"].ToString();
        Assert.True(launch.Length >= 32, "the launch id is opaque and unguessable");

        var code = await app.AuthorizeForCodeAsync(app.AuthorizeParameters("launch openid fhirUser patient/*.rs offline_access", launch));
        var response = await app.RedeemAsync(code);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        var token = await SmartAppDriver.JsonAsync(response);

        Assert.Equal("Bearer", token.GetProperty("token_type").GetString());
        Assert.Equal("classic-left", token.GetProperty("patient").GetString());
        Assert.Equal("classic-left-surgery", token.GetProperty("encounter").GetString());
        Assert.True(token.GetProperty("need_patient_banner").GetBoolean());
        Assert.Equal(Server.OriginText + "/smart-style.json", token.GetProperty("smart_style_url").GetString());
        var context = Assert.Single(token.GetProperty("fhirContext").EnumerateArray());
        Assert.Equal("Encounter/classic-left-surgery", context.GetProperty("reference").GetString());
        Assert.Equal(["fhirUser", "launch", "offline_access", "openid", "patient/*.rs"],
            token.GetProperty("scope").GetString()!.Split(' ').Order(StringComparer.Ordinal));
        Assert.True(token.TryGetProperty("refresh_token", out _));

        var idToken = await ValidateAsync(browser, token.GetProperty("id_token").GetString()!, SmartAppDriver.AppClientId);
        Assert.Equal(Server.FhirBase + "/Practitioner/surgeon-1", idToken.GetClaim("fhirUser").Value);
        Assert.Equal("surgeon-1", idToken.Subject);

        var accessToken = await ValidateAsync(browser, token.GetProperty("access_token").GetString()!, audience: Server.FhirBase);
        Assert.Equal("classic-left", accessToken.GetClaim("patient").Value);
    }

    [Fact]
    public async Task The_launcher_can_say_the_ehr_shows_its_own_patient_banner()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var launched = await browser.GetAsync(new Uri("/launcher/launch?practitioner=surgeon-2&patient=bilateral&need_patient_banner=false", UriKind.Relative));
        var launch = QueryHelpers.ParseQuery(launched.Headers.Location!.Query)["launch"].ToString();

        var code = await app.AuthorizeForCodeAsync(app.AuthorizeParameters("launch patient/Patient.rs", launch));
        var token = await SmartAppDriver.JsonAsync(await app.RedeemAsync(code));

        Assert.False(token.GetProperty("need_patient_banner").GetBoolean());
        Assert.Equal("bilateral", token.GetProperty("patient").GetString());
        Assert.False(token.TryGetProperty("encounter", out _));
        Assert.False(token.TryGetProperty("refresh_token", out _));
        Assert.False(token.TryGetProperty("id_token", out _));
    }

    [Fact]
    public async Task A_standalone_launch_auto_selects_the_configured_patient_and_encounter()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);

        var code = await app.AuthorizeForCodeAsync(app.AuthorizeParameters("launch/patient launch/encounter openid fhirUser patient/*.rs"));
        var token = await SmartAppDriver.JsonAsync(await app.RedeemAsync(code));

        Assert.Equal("classic-left", token.GetProperty("patient").GetString());
        Assert.Equal("classic-left-surgery", token.GetProperty("encounter").GetString());
        var idToken = await ValidateAsync(browser, token.GetProperty("id_token").GetString()!, SmartAppDriver.AppClientId);
        Assert.Equal(Server.FhirBase + "/Practitioner/surgeon-1", idToken.GetClaim("fhirUser").Value);
    }

    [Fact]
    public async Task A_refresh_token_rotates_and_the_used_one_is_refused()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var code = await app.AuthorizeForCodeAsync(app.AuthorizeParameters("launch/patient patient/*.rs online_access"));
        var first = await SmartAppDriver.JsonAsync(await app.RedeemAsync(code));
        var firstRefresh = first.GetProperty("refresh_token").GetString()!;

        var refreshed = await app.PostTokenAsync(Refresh(firstRefresh));
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var second = await SmartAppDriver.JsonAsync(refreshed);
        var secondRefresh = second.GetProperty("refresh_token").GetString()!;
        Assert.NotEqual(firstRefresh, secondRefresh);
        Assert.NotEqual(first.GetProperty("access_token").GetString(), second.GetProperty("access_token").GetString());
        Assert.Equal("classic-left", second.GetProperty("patient").GetString());

        var replay = await app.PostTokenAsync(Refresh(firstRefresh));
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal("invalid_grant", (await SmartAppDriver.JsonAsync(replay)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Scopes_the_client_may_not_have_are_left_out_of_the_grant()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var code = await app.AuthorizeForCodeAsync(app.AuthorizeParameters("launch/patient patient/Condition.rs system/*.rs"));
        var token = await SmartAppDriver.JsonAsync(await app.RedeemAsync(code));
        Assert.Equal("launch/patient patient/Condition.rs", token.GetProperty("scope").GetString());
    }

    private static Dictionary<string, string> Refresh(string refreshToken) => new()
    {
        ["grant_type"] = "refresh_token",
        ["refresh_token"] = refreshToken,
        ["client_id"] = SmartAppDriver.AppClientId,
    };

    private async Task<JsonWebToken> ValidateAsync(HttpClient browser, string jwt, string audience)
    {
        var jwks = new JsonWebKeySet(await browser.GetStringAsync(new Uri("/.well-known/jwks", UriKind.Relative)));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidIssuer = Server.OriginText + "/",
            ValidAudience = audience,
            IssuerSigningKeys = jwks.GetSigningKeys(),
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        return (JsonWebToken)result.SecurityToken;
    }
}

public class FileStorageTests
{
    [Fact]
    public async Task With_file_storage_tokens_and_refresh_tokens_survive_a_restart()
    {
        var folder = Path.Combine(Path.GetTempPath(), "sandbox-auth-" + Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string?> { ["Sandbox:Storage"] = "file", ["Sandbox:DataFolder"] = folder };
        try
        {
            string accessToken;
            string refreshToken;
            string origin;
            await using (var first = await SandboxServer.StartAsync(settings))
            {
                origin = first.OriginText;
                using var browser = first.CreateClient();
                var app = new SmartAppDriver(first, browser);
                var code = await app.AuthorizeForCodeAsync(app.AuthorizeParameters("launch/patient patient/Patient.rs offline_access"));
                var token = await SmartAppDriver.ExpectAsync(await app.RedeemAsync(code), HttpStatusCode.OK);
                accessToken = token.GetProperty("access_token").GetString()!;
                refreshToken = token.GetProperty("refresh_token").GetString()!;
            }

            // Same origin, so the same issuer: only the process and its memory are new.
            await using var second = await SandboxServer.StartAsync(settings, origin);
            using var client = second.CreateClient();
            using var read = new HttpRequestMessage(HttpMethod.Get, new Uri("/fhir/Patient/classic-left", UriKind.Relative));
            read.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", accessToken);
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(read)).StatusCode);

            var refreshed = await new SmartAppDriver(second, client).PostTokenAsync(new()
            {
                ["grant_type"] = "refresh_token",
                ["refresh_token"] = refreshToken,
                ["client_id"] = SmartAppDriver.AppClientId,
            });
            Assert.Equal("classic-left", (await SmartAppDriver.ExpectAsync(refreshed, HttpStatusCode.OK)).GetProperty("patient").GetString());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
