using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.WebUtilities;

namespace Rhizotomy.App.Tests.Launch;

[Collection(PublicWorldCollection.Name)]
public class LaunchFlowTests(PublicWorld fixture)
{
    private SmartWorld World => fixture.World;

    [Fact]
    public async Task The_authorization_request_carries_pkce_s256_a_long_state_the_fhir_base_as_aud_and_v2_scopes()
    {
        using var browser = SmartWorld.Browser(followRedirects: false);
        var toApp = await browser.GetAsync(World.LaunchUrl("test-classic-left", "test-surgeon"));
        var toAuthorize = await browser.GetAsync(toApp.Headers.Location!);

        Assert.Equal(HttpStatusCode.Redirect, toAuthorize.StatusCode);
        var query = QueryHelpers.ParseQuery(toAuthorize.Headers.Location!.Query);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal(43, query["code_challenge"].ToString().Length);
        Assert.True(query["state"].ToString().Length >= 22, "state carries at least 128 bits");
        Assert.Equal(World.Issuer, query["aud"]);
        Assert.Equal(World.AppOrigin + "/callback", query["redirect_uri"]);
        Assert.False(string.IsNullOrEmpty(query["launch"]));
        var scopes = query["scope"].ToString().Split(' ');
        Assert.Contains("launch", scopes);
        Assert.Contains("patient/Condition.rs", scopes);
        Assert.Contains("patient/DocumentReference.crus", scopes);
        Assert.Contains("openid", scopes);
        Assert.DoesNotContain(scopes, s => s.EndsWith(".read", StringComparison.Ordinal));

        var cookie = Assert.Single(toAuthorize.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("frame-ancestors 'self' " + World.SandboxOrigin, toAuthorize.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task A_standalone_launch_asks_for_a_patient_and_opens_on_the_chosen_one()
    {
        using var browser = SmartWorld.Browser(followRedirects: false);
        var toAuthorize = await browser.GetAsync(new Uri($"{World.AppOrigin}/launch?iss={Uri.EscapeDataString(World.Issuer)}"));
        var scopes = QueryHelpers.ParseQuery(toAuthorize.Headers.Location!.Query)["scope"].ToString().Split(' ');
        Assert.Contains("launch/patient", scopes);
        Assert.DoesNotContain("launch", scopes);

        using var following = SmartWorld.Browser();
        var page = await following.GetAsync(new Uri($"{World.AppOrigin}/launch?iss={Uri.EscapeDataString(World.Issuer)}"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var context = await SmartWorld.JsonAsync(await following.GetAsync(new Uri(World.AppOrigin + "/api/context")));
        Assert.Equal("test-classic-left", context.GetProperty("patientId").GetString());
        Assert.True(context.GetProperty("mode").GetProperty("standalone").GetBoolean());
    }

    [Fact]
    public async Task An_unconfigured_iss_gets_a_plain_page_and_nothing_is_sent_to_it()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var browser = SmartWorld.Browser();

        var response = await browser.GetAsync(new Uri($"{World.AppOrigin}/launch?iss=http://127.0.0.1:{port}/fhir&launch=abc"));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not set up for the app", html);
        Assert.Contains("What to do", html);
        Assert.False(listener.Pending(), "the app must not contact an EHR it is not configured for");
    }

    [Fact]
    public async Task A_callback_replayed_with_a_used_state_is_refused()
    {
        using var browser = SmartWorld.Browser(followRedirects: false);
        var callback = await World.CallbackUrlAsync(browser, "test-classic-left", "test-surgeon");

        var first = await browser.GetAsync(callback);
        var second = await browser.GetAsync(callback);

        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.StartsWith("/s/", first.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.BadRequest, second.StatusCode);
        Assert.Contains("expired or was already used", await second.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_tampered_state_or_a_state_from_another_browser_is_refused()
    {
        using var browser = SmartWorld.Browser(followRedirects: false);
        var callback = await World.CallbackUrlAsync(browser, "test-classic-left", "test-surgeon");
        var query = QueryHelpers.ParseQuery(callback.Query);
        var tampered = QueryHelpers.AddQueryString(World.AppOrigin + "/callback",
            new Dictionary<string, string?> { ["code"] = query["code"], ["state"] = query["state"] + "x" });

        var tamperedResponse = await browser.GetAsync(new Uri(tampered));
        using var otherBrowser = SmartWorld.Browser(followRedirects: false);
        var foreign = await otherBrowser.GetAsync(callback);

        Assert.Equal(HttpStatusCode.BadRequest, tamperedResponse.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
        Assert.DoesNotContain("Exception", await foreign.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Two_launches_in_one_browser_keep_their_patients_apart()
    {
        using var browser = SmartWorld.Browser();
        var first = await browser.GetAsync(World.LaunchUrl("test-classic-left", "test-surgeon"));
        var second = await browser.GetAsync(World.LaunchUrl("test-odd", "test-surgeon"));
        var firstId = first.RequestMessage!.RequestUri!.Segments[^1];
        var secondId = second.RequestMessage!.RequestUri!.Segments[^1];

        Assert.NotEqual(firstId, secondId);
        Assert.Contains("Alex Testperson", await browser.GetStringAsync(new Uri($"{World.AppOrigin}/s/{firstId}")));
        var firstContext = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri($"{World.AppOrigin}/api/context?launch={firstId}")));
        var secondContext = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri($"{World.AppOrigin}/api/context?launch={secondId}")));
        Assert.Equal("test-classic-left", firstContext.GetProperty("patientId").GetString());
        Assert.Equal("test-odd", secondContext.GetProperty("patientId").GetString());
    }

    [Fact]
    public async Task A_launch_page_is_not_served_to_another_browser()
    {
        using var browser = SmartWorld.Browser();
        var page = await browser.GetAsync(World.LaunchUrl("test-classic-left", "test-surgeon"));
        using var stranger = SmartWorld.Browser();

        var stolen = await stranger.GetAsync(page.RequestMessage!.RequestUri);
        var api = await stranger.GetAsync(new Uri(World.AppOrigin + "/api/context"));

        Assert.Equal(HttpStatusCode.Unauthorized, stolen.StatusCode);
        Assert.Contains("session has ended", await stolen.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal("OperationOutcome", (await SmartWorld.JsonAsync(api)).GetProperty("resourceType").GetString());
    }

    [Fact]
    public async Task A_state_changing_request_without_the_csrf_token_is_refused()
    {
        using var browser = SmartWorld.Browser();
        await browser.GetAsync(World.LaunchUrl("test-classic-left", "test-surgeon"));
        var context = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri(World.AppOrigin + "/api/context")));

        var without = await browser.PostAsync(new Uri(World.AppOrigin + "/api/session/refresh"), null);
        using var wrong = new HttpRequestMessage(HttpMethod.Post, World.AppOrigin + "/api/session/refresh");
        wrong.Headers.Add("X-CSRF-Token", "not-the-token");
        var wrongResponse = await browser.SendAsync(wrong);
        using var right = new HttpRequestMessage(HttpMethod.Post, World.AppOrigin + "/api/session/refresh");
        right.Headers.Add("X-CSRF-Token", context.GetProperty("csrfToken").GetString());
        var rightResponse = await browser.SendAsync(right);

        Assert.Equal(HttpStatusCode.Forbidden, without.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrongResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, rightResponse.StatusCode);
    }

    [Fact]
    public async Task The_token_is_refreshed_before_it_expires_and_each_new_refresh_token_replaces_the_old()
    {
        using var browser = SmartWorld.Browser();
        await browser.GetAsync(World.LaunchUrl("test-classic-left", "test-surgeon"));
        var context = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri(World.AppOrigin + "/api/context")));
        Assert.True(context.GetProperty("mode").GetProperty("canRefresh").GetBoolean());
        var csrf = context.GetProperty("csrfToken").GetString();

        var expiries = new List<DateTimeOffset>();
        for (var i = 0; i < 2; i++)
        {
            // The sandbox rotates refresh tokens with no reuse window: a kept old one would fail the second time.
            using var request = new HttpRequestMessage(HttpMethod.Post, World.AppOrigin + "/api/session/refresh");
            request.Headers.Add("X-CSRF-Token", csrf);
            var result = await SmartWorld.JsonAsync(await browser.SendAsync(request));
            Assert.False(result.GetProperty("needsRelaunch").GetBoolean());
            expiries.Add(result.GetProperty("expiresAt").GetDateTimeOffset());
            World.Clock.Advance(TimeSpan.FromSeconds(5));
        }
        Assert.True(expiries[1] > expiries[0]);

        // Near expiry, a plain read refreshes by itself.
        World.Clock.Advance(TimeSpan.FromMinutes(59.5));
        var later = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri(World.AppOrigin + "/api/context")));
        Assert.False(later.GetProperty("mode").GetProperty("needsRelaunch").GetBoolean());
    }

    [Fact]
    public async Task An_expired_session_gets_a_plain_page_and_an_operation_outcome()
    {
        using var browser = SmartWorld.Browser();
        var page = await browser.GetAsync(World.LaunchUrl("test-classic-left", "test-surgeon"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        World.Clock.Advance(TimeSpan.FromHours(13));
        var again = await browser.GetAsync(page.RequestMessage!.RequestUri);
        var api = await browser.GetAsync(new Uri(World.AppOrigin + "/api/context"));

        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        Assert.Contains("Open the app again", await again.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal("login", (await SmartWorld.JsonAsync(api)).GetProperty("issue")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_long_history_is_read_through_every_page()
    {
        using var browser = SmartWorld.Browser();
        await browser.GetAsync(World.LaunchUrl("test-long", "test-surgeon"));
        var context = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri(World.AppOrigin + "/api/context")));

        var chart = context.GetProperty("chart");
        Assert.Equal(PublicWorld.LongHistoryConditions + PublicWorld.LongHistoryProcedures, chart.GetProperty("resourcesRead").GetInt32());
        Assert.Equal(PublicWorld.LongHistoryConditions / 10, context.GetProperty("evidence").GetProperty("diagnoses").GetArrayLength());
        Assert.Equal(PublicWorld.LongHistoryProcedures / 20, context.GetProperty("evidence").GetProperty("blocks").GetArrayLength());
        // Patient + Practitioner + 6 first pages (Condition, Procedure, the two medication searches, DiagnosticReport,
        // Observation) + (5 - 1) more Condition pages + (3 - 1) more Procedure pages.
        Assert.Equal(2 + 6 + 4 + 2, chart.GetProperty("roundTrips").GetInt32());
        Assert.Empty(context.GetProperty("warnings").EnumerateArray());
    }

    [Fact]
    public async Task Odd_data_breaks_nothing_and_hostile_chart_text_is_escaped()
    {
        using var browser = SmartWorld.Browser();
        var page = await browser.GetAsync(World.LaunchUrl("test-odd", "test-surgeon"));
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.DoesNotContain("<script>alert", html);
        Assert.DoesNotContain("<img src=x", html);
        Assert.DoesNotContain("<b>Odd</b>", html);
        Assert.Contains("&lt;script&gt;", html);
        var context = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri(World.AppOrigin + "/api/context")));
        Assert.True(context.GetProperty("evidence").GetProperty("diagnoses")[0].GetProperty("textOnly").GetBoolean());
    }

    [Fact]
    public async Task The_logs_of_a_launch_carry_no_token_code_state_or_patient_data()
    {
        using var browser = SmartWorld.Browser(followRedirects: false);
        var callback = await World.CallbackUrlAsync(browser, "test-classic-left", "test-surgeon");
        var query = QueryHelpers.ParseQuery(callback.Query);
        var toPage = await browser.GetAsync(callback);
        await browser.GetAsync(new Uri(World.AppOrigin + toPage.Headers.Location!.OriginalString));

        string log;
        using (var stream = new FileStream(fixture.LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        using (var reader = new StreamReader(stream))
            log = await reader.ReadToEndAsync();

        Assert.Contains("Launch completed", log);
        Assert.DoesNotContain(query["code"].ToString(), log);
        Assert.DoesNotContain(query["state"].ToString(), log);
        Assert.DoesNotContain(toPage.Headers.Location!.OriginalString, log);
        Assert.DoesNotContain("eyJ", log);
        Assert.DoesNotContain("Testperson", log);
        Assert.DoesNotContain("test-classic-left", log);
    }

    [Fact]
    public async Task The_patient_banner_is_shown_unless_the_ehr_says_it_shows_its_own()
    {
        using var browser = SmartWorld.Browser();
        var withBanner = await (await browser.GetAsync(World.LaunchUrl("test-classic-left", "test-surgeon"))).Content.ReadAsStringAsync();
        var withoutBanner = await (await browser.GetAsync(new Uri(World.LaunchUrl("test-classic-left", "test-surgeon") + "&need_patient_banner=false"))).Content.ReadAsStringAsync();

        Assert.Contains("<header class=\"banner\"", withBanner);
        Assert.DoesNotContain("<header class=\"banner\"", withoutBanner);
        Assert.Contains("85% relief", withoutBanner);
    }
}
