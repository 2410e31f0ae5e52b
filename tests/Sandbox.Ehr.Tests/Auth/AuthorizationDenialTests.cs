using System.Net;

namespace Sandbox.Ehr.Tests.Auth;

[Collection(SandboxCollection.Name)]
public class AuthorizationDenialTests(SandboxFixture fixture)
{
    private SandboxServer Server => fixture.Server;

    [Fact]
    public async Task A_wrong_code_verifier_is_refused()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var code = await app.AuthorizeForCodeAsync(app.AuthorizeParameters("launch/patient patient/*.rs"));

        var response = await app.RedeemAsync(code, verifier: new SmartAppDriver(Server, browser).Verifier);
        await SmartAppDriver.ExpectErrorAsync(response, "invalid_grant");
    }

    [Fact]
    public async Task A_plain_code_challenge_is_refused()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var parameters = app.AuthorizeParameters("launch/patient patient/*.rs");
        parameters["code_challenge"] = app.Verifier;
        parameters["code_challenge_method"] = "plain";

        await AssertRefusedAsync(await app.AuthorizeAsync(parameters));
    }

    [Fact]
    public async Task A_missing_code_challenge_is_refused()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var parameters = app.AuthorizeParameters("launch/patient patient/*.rs");
        parameters["code_challenge"] = null;
        parameters["code_challenge_method"] = null;

        await AssertRefusedAsync(await app.AuthorizeAsync(parameters));
    }

    /// <summary>OpenIddict answers some malformed requests with its error page rather than a redirect; neither carries a code.</summary>
    private static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        if (response.StatusCode == HttpStatusCode.Redirect)
        {
            var query = SmartAppDriver.CallbackQuery(response);
            Assert.Equal("invalid_request", query["error"]);
            Assert.False(query.ContainsKey("code"));
            return;
        }

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("invalid_request", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unregistered_redirect_uri_gets_an_error_page_and_no_redirect()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var parameters = app.AuthorizeParameters("launch/patient patient/*.rs");
        parameters["redirect_uri"] = "http://127.0.0.1:5090/callback/evil";

        SmartAppDriver.ExpectErrorPageWithoutRedirect(await app.AuthorizeAsync(parameters));
    }

    [Fact]
    public async Task A_redirect_uri_differing_at_redemption_is_refused()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var code = await app.AuthorizeForCodeAsync(app.AuthorizeParameters("launch/patient patient/*.rs"));

        var response = await app.RedeemAsync(code, redirectUri: "http://127.0.0.1:5090/other");
        await SmartAppDriver.ExpectErrorAsync(response, "invalid_grant");
    }

    [Fact]
    public async Task A_code_is_redeemed_only_once()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var code = await app.AuthorizeForCodeAsync(app.AuthorizeParameters("launch/patient patient/*.rs"));

        await SmartAppDriver.ExpectAsync(await app.RedeemAsync(code), HttpStatusCode.OK);
        await SmartAppDriver.ExpectErrorAsync(await app.RedeemAsync(code), "invalid_grant");
    }

    [Fact]
    public async Task An_aud_other_than_the_fhir_base_is_refused_with_the_state_echoed()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var parameters = app.AuthorizeParameters("launch/patient patient/*.rs");
        parameters["aud"] = "https://fhir.example.org/r4";

        var query = SmartAppDriver.CallbackQuery(await app.AuthorizeAsync(parameters));
        Assert.Equal("invalid_request", query["error"]);
        Assert.Equal(app.State, query["state"]);
        Assert.False(query.ContainsKey("code"));

        parameters["aud"] = null;
        var missing = SmartAppDriver.CallbackQuery(await app.AuthorizeAsync(parameters));
        Assert.Equal("invalid_request", missing["error"]);
    }

    [Fact]
    public async Task An_unknown_client_gets_an_error_page_and_no_redirect()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var parameters = app.AuthorizeParameters("launch/patient patient/*.rs");
        parameters["client_id"] = "no-such-app";

        SmartAppDriver.ExpectErrorPageWithoutRedirect(await app.AuthorizeAsync(parameters));
    }

    [Fact]
    public async Task An_unknown_or_forged_launch_is_refused()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);

        var query = SmartAppDriver.CallbackQuery(await app.AuthorizeAsync(app.AuthorizeParameters("launch patient/*.rs", launch: "forged-launch-id")));
        Assert.Equal("invalid_request", query["error"]);

        var noLaunch = SmartAppDriver.CallbackQuery(await app.AuthorizeAsync(app.AuthorizeParameters("launch patient/*.rs")));
        Assert.Equal("invalid_request", noLaunch["error"]);
    }

    [Fact]
    public async Task The_launcher_redirects_only_to_registered_launch_urls()
    {
        using var browser = Server.CreateClient();
        var response = await browser.GetAsync(new Uri(
            "/launcher/launch?practitioner=surgeon-1&patient=classic-left&app=" + Uri.EscapeDataString("https://evil.example/launch"), UriKind.Relative));
        SmartAppDriver.ExpectErrorPageWithoutRedirect(response);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
    }
}

/// <summary>A sandbox with auto-approve off: the authorize step shows sign-in, patient picker and consent.</summary>
public sealed class ConsentFixture : IAsyncLifetime
{
    public SandboxServer Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await SandboxServer.StartAsync(new Dictionary<string, string?> { ["Sandbox:AutoApprove"] = "false" });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public class ConsentTests(ConsentFixture fixture) : IClassFixture<ConsentFixture>
{
    private SandboxServer Server => fixture.Server;

    [Fact]
    public async Task Denying_consent_sends_access_denied_with_the_state()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var page = await ConsentPageAsync(browser, app, "launch/patient openid fhirUser patient/*.rs");
        page["sandbox_decision"] = "deny";

        var query = SmartAppDriver.CallbackQuery(await PostAsync(browser, page));
        Assert.Equal("access_denied", query["error"]);
        Assert.Equal(app.State, query["state"]);
        Assert.False(query.ContainsKey("code"));
    }

    [Fact]
    public async Task Approving_consent_signs_in_the_chosen_practitioner_for_the_chosen_patient()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var page = await ConsentPageAsync(browser, app, "launch/patient openid fhirUser patient/*.rs");
        page["sandbox_decision"] = "approve";
        page["sandbox_practitioner"] = "resident-1";
        page["sandbox_patient"] = "bilateral";

        var query = SmartAppDriver.CallbackQuery(await PostAsync(browser, page));
        Assert.Equal(app.State, query["state"]);
        var token = await SmartAppDriver.ExpectAsync(await app.RedeemAsync(query["code"]), HttpStatusCode.OK);
        Assert.Equal("bilateral", token.GetProperty("patient").GetString());
    }

    [Fact]
    public async Task A_permission_withheld_on_the_consent_page_is_left_out_of_the_grant()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var page = await ConsentPageAsync(browser, app, "launch/patient openid fhirUser patient/Patient.rs patient/Condition.rs");
        page["sandbox_decision"] = "approve";
        page["sandbox_practitioner"] = "surgeon-1";
        page["sandbox_patient"] = "classic-left";
        page["sandbox_withhold"] = "patient/Condition.rs";

        var query = SmartAppDriver.CallbackQuery(await PostAsync(browser, page));
        var token = await SmartAppDriver.ExpectAsync(await app.RedeemAsync(query["code"]), HttpStatusCode.OK);
        var granted = token.GetProperty("scope").GetString()!.Split(' ');
        Assert.Contains("patient/Patient.rs", granted);
        Assert.DoesNotContain("patient/Condition.rs", granted);
    }

    [Fact]
    public async Task A_consent_post_without_the_antiforgery_token_is_refused()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var page = await ConsentPageAsync(browser, app, "launch/patient patient/*.rs");
        foreach (var name in page.Keys.Where(name => name.Contains("Antiforgery", StringComparison.OrdinalIgnoreCase) || name.StartsWith("__", StringComparison.Ordinal)).ToList())
        {
            page.Remove(name);
        }

        page["sandbox_decision"] = "approve";
        page["sandbox_practitioner"] = "surgeon-1";
        page["sandbox_patient"] = "classic-left";

        SmartAppDriver.ExpectErrorPageWithoutRedirect(await PostAsync(browser, page));
    }

    private static async Task<Dictionary<string, string>> ConsentPageAsync(HttpClient browser, SmartAppDriver app, string scope)
    {
        var response = await app.AuthorizeAsync(app.AuthorizeParameters(scope));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        foreach (var requested in scope.Split(' '))
        {
            Assert.Contains("<li>" + WebUtility.HtmlEncode(requested), html, StringComparison.Ordinal);
        }

        Assert.Contains("value=\"deny\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"sandbox_withhold\"", html, StringComparison.Ordinal);
        return HiddenInputs.Of(html);
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient browser, Dictionary<string, string> form) =>
        browser.PostAsync(new Uri("/auth/authorize", UriKind.Relative), new FormUrlEncodedContent(form));
}
