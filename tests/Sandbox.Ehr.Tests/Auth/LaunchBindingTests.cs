using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Sandbox.Ehr.Tests.Auth;

/// <summary>A sandbox with a second app (its own launch URL) and patient-facing standalone launches.</summary>
public sealed class LaunchBindingFixture : IAsyncLifetime
{
    public const string OtherClientId = "other-app";
    public const string OtherRedirectUri = "http://127.0.0.1:5099/callback";

    public SandboxServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await SandboxServer.StartAsync(new Dictionary<string, string?>
    {
        ["Sandbox:StandaloneUser"] = "patient",
        ["Sandbox:Clients:0:ClientId"] = OtherClientId,
        ["Sandbox:Clients:0:Type"] = "public",
        ["Sandbox:Clients:0:RedirectUris:0"] = OtherRedirectUri,
        ["Sandbox:Clients:0:LaunchUrl"] = "http://127.0.0.1:5099/launch",
        ["Sandbox:Clients:0:Scopes:0"] = "launch",
        ["Sandbox:Clients:0:Scopes:1"] = "patient/*",
    });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Launch ids are single use and bound to their app; a standalone launch can be a patient's.</summary>
public class LaunchBindingTests(LaunchBindingFixture fixture) : IClassFixture<LaunchBindingFixture>
{
    private SandboxServer Server => fixture.Server;

    private static async Task<string> LaunchAsync(HttpClient browser, string app = "http://127.0.0.1:5090/launch")
    {
        var launched = await browser.GetAsync(new Uri(
            "/launcher/launch?practitioner=surgeon-1&patient=classic-left&app=" + Uri.EscapeDataString(app), UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, launched.StatusCode);
        return QueryHelpers.ParseQuery(launched.Headers.Location!.Query)["launch"].ToString();
    }

    [Fact]
    public async Task A_launch_id_is_good_for_one_authorization()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var launch = await LaunchAsync(browser);

        await app.AuthorizeForCodeAsync(app.AuthorizeParameters("launch patient/*.rs", launch));
        var replay = SmartAppDriver.CallbackQuery(await app.AuthorizeAsync(app.AuthorizeParameters("launch patient/*.rs", launch)));

        Assert.Equal("invalid_request", replay["error"]);
        Assert.False(replay.ContainsKey("code"));
    }

    [Fact]
    public async Task Racing_authorizations_with_one_launch_id_get_one_code()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var launch = await LaunchAsync(browser);

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => app.AuthorizeAsync(app.AuthorizeParameters("launch patient/*.rs", launch))));

        Assert.Equal(1, answers.Select(SmartAppDriver.CallbackQuery).Count(query => query.ContainsKey("code")));
    }

    [Fact]
    public async Task A_launch_made_for_one_app_is_refused_to_another_and_stays_usable_by_its_own()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var launch = await LaunchAsync(browser);
        var stolen = app.AuthorizeParameters("launch patient/*.rs", launch);
        stolen["client_id"] = LaunchBindingFixture.OtherClientId;
        stolen["redirect_uri"] = LaunchBindingFixture.OtherRedirectUri;

        var refused = await app.AuthorizeAsync(stolen);

        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.StartsWith(LaunchBindingFixture.OtherRedirectUri, refused.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(refused.Headers.Location.Query);
        Assert.Equal("invalid_request", query["error"].ToString());
        Assert.False(query.ContainsKey("code"));
        // The refused attempt did not use the launch up.
        await app.AuthorizeForCodeAsync(app.AuthorizeParameters("launch patient/*.rs", launch));
    }

    [Fact]
    public async Task A_launch_for_the_other_app_works_for_it_only()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var launch = await LaunchAsync(browser, "http://127.0.0.1:5099/launch");

        var refused = SmartAppDriver.CallbackQuery(await app.AuthorizeAsync(app.AuthorizeParameters("launch patient/*.rs", launch)));

        Assert.Equal("invalid_request", refused["error"]);
    }

    [Fact]
    public async Task A_standalone_launch_can_be_a_patients_own_with_patient_scopes_only()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);

        var code = await app.AuthorizeForCodeAsync(app.AuthorizeParameters("launch/patient openid fhirUser patient/*.rs user/*.rs"));
        var token = await SmartAppDriver.ExpectAsync(await app.RedeemAsync(code), HttpStatusCode.OK);

        Assert.Equal("classic-left", token.GetProperty("patient").GetString());
        Assert.Equal(["fhirUser", "launch/patient", "openid", "patient/*.rs"], token.GetProperty("scope").GetString()!.Split(' ').Order(StringComparer.Ordinal));
        var idToken = new JsonWebToken(token.GetProperty("id_token").GetString());
        Assert.Equal(Server.FhirBase + "/Patient/classic-left", idToken.GetClaim("fhirUser").Value);
        Assert.Equal("classic-left", idToken.Subject);

        var own = new HttpRequestMessage(HttpMethod.Get, new Uri("/fhir/Patient/classic-left", UriKind.Relative));
        own.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.GetProperty("access_token").GetString());
        var other = new HttpRequestMessage(HttpMethod.Get, new Uri("/fhir/Patient/bilateral", UriKind.Relative));
        other.Headers.Authorization = own.Headers.Authorization;
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(own)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.SendAsync(other)).StatusCode);
    }

    [Fact]
    public async Task An_ehr_launch_is_still_the_practitioners_when_standalone_users_are_patients()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var launch = await LaunchAsync(browser);

        var code = await app.AuthorizeForCodeAsync(app.AuthorizeParameters("launch openid fhirUser patient/*.rs user/*.rs", launch));
        var token = await SmartAppDriver.ExpectAsync(await app.RedeemAsync(code), HttpStatusCode.OK);

        Assert.Equal(Server.FhirBase + "/Practitioner/surgeon-1", new JsonWebToken(token.GetProperty("id_token").GetString()).GetClaim("fhirUser").Value);
        Assert.Contains("user/*.rs", token.GetProperty("scope").GetString()!.Split(' '));
    }
}

/// <summary>Auto-approve off and patient-facing standalone launches: the consent page signs a patient in.</summary>
public sealed class PatientConsentFixture : IAsyncLifetime
{
    public SandboxServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await SandboxServer.StartAsync(new Dictionary<string, string?>
    {
        ["Sandbox:AutoApprove"] = "false",
        ["Sandbox:StandaloneUser"] = "patient",
    });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public class PatientConsentTests(PatientConsentFixture fixture) : IClassFixture<PatientConsentFixture>
{
    [Fact]
    public async Task The_consent_page_signs_in_the_chosen_patient_as_the_user()
    {
        using var browser = fixture.Server.CreateClient();
        var app = new SmartAppDriver(fixture.Server, browser);
        var page = await app.AuthorizeAsync(app.AuthorizeParameters("launch/patient openid fhirUser patient/*.rs user/*.rs"));
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("Sign in as patient", html, StringComparison.Ordinal);
        Assert.DoesNotContain("name=\"sandbox_practitioner\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("name=\"sandbox_withhold\" value=\"user/*.rs\"", html, StringComparison.Ordinal);
        var form = HiddenInputs.Of(html);
        form["sandbox_decision"] = "approve";
        form["sandbox_patient"] = "bilateral";

        var query = SmartAppDriver.CallbackQuery(await browser.PostAsync(new Uri("/auth/authorize", UriKind.Relative), new FormUrlEncodedContent(form)));
        var token = await SmartAppDriver.ExpectAsync(await app.RedeemAsync(query["code"]), HttpStatusCode.OK);

        Assert.Equal("bilateral", token.GetProperty("patient").GetString());
        Assert.Equal(fixture.Server.FhirBase + "/Patient/bilateral", new JsonWebToken(token.GetProperty("id_token").GetString()).GetClaim("fhirUser").Value);
        Assert.DoesNotContain("user/*.rs", token.GetProperty("scope").GetString()!.Split(' '));
    }
}
