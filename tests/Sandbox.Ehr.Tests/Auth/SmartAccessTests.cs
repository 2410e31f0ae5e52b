using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.Tokens;

namespace Sandbox.Ehr.Tests.Auth;

/// <summary>Real tokens from the sandbox's own authorization server, used on its FHIR API.</summary>
[Collection(ClientsCollection.Name)]
public class SmartAccessTests(ClientsFixture fixture)
{
    private SandboxServer Server => fixture.Server;

    [Fact]
    public async Task A_patient_token_reads_its_patient_and_not_another()
    {
        using var browser = Server.CreateClient();
        var token = await EhrLaunchTokenAsync(browser, "launch openid fhirUser patient/Patient.rs patient/Condition.rs");

        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(browser, "Patient/classic-left", token)).StatusCode);
        var conditions = await ReadAsync(browser, "Condition?patient=classic-left", token);
        Assert.Equal(HttpStatusCode.OK, conditions.StatusCode);

        var other = await ReadAsync(browser, "Patient/bilateral", token);
        Assert.Contains(other.StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.NotFound });
        var notGranted = await ReadAsync(browser, "Procedure?patient=classic-left", token);
        Assert.Equal(HttpStatusCode.Forbidden, notGranted.StatusCode);
    }

    [Fact]
    public async Task No_token_a_garbage_token_or_a_tampered_token_is_unauthenticated()
    {
        using var browser = Server.CreateClient();
        var token = await EhrLaunchTokenAsync(browser, "launch patient/Patient.rs");
        var parts = token.Split('.');
        var tampered = string.Join('.', parts[0], Base64UrlEncoder.Encode(Base64UrlEncoder.Decode(parts[1]).Replace("classic-left", "bilateral", StringComparison.Ordinal)), parts[2]);

        Assert.Equal(HttpStatusCode.Unauthorized, (await ReadAsync(browser, "Patient/classic-left", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ReadAsync(browser, "Patient/classic-left", "not-a-token")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ReadAsync(browser, "Patient/bilateral", tampered)).StatusCode);
    }

    [Fact]
    public async Task A_backend_services_token_reads_any_patient_within_its_system_scopes()
    {
        using var http = Server.CreateClient();
        var response = await http.PostAsync(new Uri("/auth/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["scope"] = "system/Patient.rs",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = fixture.Keys.Assertion(ClientsFixture.InlineBackend, Server.OriginText + "/auth/token", SecurityAlgorithms.EcdsaSha384),
        }));
        var token = (await SmartAppDriver.ExpectAsync(response, HttpStatusCode.OK)).GetProperty("access_token").GetString()!;

        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(http, "Patient/bilateral", token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(http, "Patient/odd-data", token)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ReadAsync(http, "Condition?patient=bilateral", token)).StatusCode);
    }

    private async Task<string> EhrLaunchTokenAsync(HttpClient browser, string scope)
    {
        var app = new SmartAppDriver(Server, browser);
        var launched = await browser.GetAsync(new Uri("/launcher/launch?practitioner=surgeon-1&patient=classic-left", UriKind.Relative));
        var launch = QueryHelpers.ParseQuery(launched.Headers.Location!.Query)["launch"].ToString();
        var code = await app.AuthorizeForCodeAsync(app.AuthorizeParameters(scope, launch));
        return (await SmartAppDriver.ExpectAsync(await app.RedeemAsync(code), HttpStatusCode.OK)).GetProperty("access_token").GetString()!;
    }

    private static async Task<HttpResponseMessage> ReadAsync(HttpClient http, string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/fhir/" + path, UriKind.Relative));
        request.Headers.Accept.ParseAdd("application/fhir+json");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await http.SendAsync(request);
    }
}
