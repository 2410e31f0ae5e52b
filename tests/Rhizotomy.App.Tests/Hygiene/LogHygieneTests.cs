using System.Net;
using System.Text.Json;

namespace Rhizotomy.App.Tests.Hygiene;

/// <summary>
/// Full launches and failing launches against the real sandbox and app, with both hosts' logs
/// captured; no token, secret, protocol value, session value or chart text may appear in them.
/// Patient ids are treated as PHI too (they identify a person's record): they stay out of the logs.
/// </summary>
[Collection(HygieneWorldCollection.Name)]
public class LogHygieneTests(HygieneWorld fixture)
{
    private SmartWorld World => fixture.World;

    private static readonly string[] PatientIds = HygieneWorldBase.PatientIds;

    private Uri EhrLaunch(string patient) =>
        new($"{World.SandboxOrigin}/launcher/launch?practitioner=surgeon-1&patient={patient}&app={Uri.EscapeDataString(World.AppOrigin + "/launch")}");

    private Uri StandaloneLaunch => new($"{World.AppOrigin}/launch?iss={Uri.EscapeDataString(World.Issuer)}");

    /// <summary>Reads <c>/api/context</c> in this browser and writes down its CSRF token.</summary>
    private async Task<JsonElement> ContextAsync(HttpClient browser, string? launchId = null)
    {
        using var response = await browser.GetAsync(new Uri(World.AppOrigin + "/api/context" + (launchId is null ? "" : "?launch=" + launchId)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var context = await SmartWorld.JsonAsync(response);
        fixture.Secrets.Add("csrf token", context.GetProperty("csrfToken").GetString());
        return context;
    }

    private async Task<HttpStatusCode> RefreshAsync(HttpClient browser, string csrf)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, World.AppOrigin + "/api/session/refresh");
        request.Headers.Add("X-CSRF-Token", csrf);
        using var response = await browser.SendAsync(request);
        return response.StatusCode;
    }

    private void AssertLogsClean() => fixture.AssertLogsClean(
        "access_token", "refresh_token", "id_token", "code", "code_verifier", "client_secret", "state", "launch", "csrf token", "cookie rz_session");

    [Fact]
    public async Task A_full_ehr_launch_with_reads_and_refreshes_logs_no_token_secret_or_chart_text()
    {
        var (browser, cookies) = HygieneWorldBase.NewBrowser();
        using var _ = browser;
        foreach (var patient in PatientIds)
        {
            var hops = await fixture.WalkAsync(browser, EhrLaunch(patient));
            Assert.Equal(HttpStatusCode.OK, hops[^1].Status);
            Assert.StartsWith("/s/", hops[^1].Url.AbsolutePath, StringComparison.Ordinal);

            var context = await ContextAsync(browser, hops[^1].Url.Segments[^1]);
            Assert.Equal(patient, context.GetProperty("patientId").GetString());
            Assert.Equal(HttpStatusCode.OK, await RefreshAsync(browser, context.GetProperty("csrfToken").GetString()!));
        }
        // Near expiry a plain read refreshes by itself.
        World.Clock.Advance(TimeSpan.FromMinutes(59.5));
        await ContextAsync(browser);
        fixture.NoteCookies(cookies);

        AssertLogsClean();
    }

    [Fact]
    public async Task A_standalone_launch_logs_no_token_secret_or_chart_text()
    {
        var (browser, cookies) = HygieneWorldBase.NewBrowser();
        using var _ = browser;
        var hops = await fixture.WalkAsync(browser, StandaloneLaunch);
        Assert.True(HttpStatusCode.OK == hops[^1].Status, string.Join("\n", hops.Select(h => $"{h.Method} {h.Url} {h.Status} {h.Body[..Math.Min(300, h.Body.Length)]}")));
        var context = await ContextAsync(browser);
        Assert.Equal(HttpStatusCode.OK, await RefreshAsync(browser, context.GetProperty("csrfToken").GetString()!));
        fixture.NoteCookies(cookies);

        AssertLogsClean();
    }

    [Fact]
    public async Task Failed_launches_log_no_token_secret_or_chart_text()
    {
        // A tampered state, then the real one from another browser.
        var (browser, cookies) = HygieneWorldBase.NewBrowser();
        using var _ = browser;
        var hops = await fixture.WalkAsync(browser, EhrLaunch("classic-left"));
        var callback = hops.Single(h => h.Url.AbsolutePath == "/callback").Url;
        var tampered = await browser.GetAsync(new Uri(callback.ToString().Replace("state=", "state=x", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.BadRequest, tampered.StatusCode);
        var (stranger, _) = HygieneWorldBase.NewBrowser();
        using (stranger)
            Assert.Equal(HttpStatusCode.BadRequest, (await stranger.GetAsync(callback)).StatusCode);

        // Denied consent.
        var denied = await fixture.WalkAsync(browser, EhrLaunch("odd-data"), decision: "deny");
        Assert.Equal(HttpStatusCode.Forbidden, denied[^1].Status);

        // An issuer the app does not know.
        var unknown = await browser.GetAsync(new Uri($"{World.AppOrigin}/launch?iss={Uri.EscapeDataString("http://127.0.0.1:9/fhir")}&launch=unknown-iss-launch-value"));
        fixture.Secrets.Add("launch", "unknown-iss-launch-value");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);

        // The EHR answers its FHIR reads with 500.
        Uri page;
        await SetFaultsAsync("""{"Rules":[{"Kind":"500","Path":"/fhir/Condition"},{"Kind":"500","Path":"/fhir/Patient"}]}""");
        try
        {
            var faulty = await fixture.WalkAsync(browser, EhrLaunch("odd-data"));
            // Not even the patient could be read: the plain "EHR is not answering" page.
            Assert.Equal(HttpStatusCode.ServiceUnavailable, faulty[^1].Status);
            page = faulty[^1].Url;
            var context = await ContextAsync(browser);
            Assert.NotEmpty(context.GetProperty("warnings").EnumerateArray());
        }
        finally
        {
            await SetFaultsAsync("{}");
        }

        // A session that has expired.
        World.Clock.Advance(TimeSpan.FromHours(13));
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync(page)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync(new Uri(World.AppOrigin + "/api/context"))).StatusCode);
        fixture.NoteCookies(cookies);

        AssertLogsClean();
    }

    private async Task SetFaultsAsync(string json)
    {
        using var http = new HttpClient();
        using var response = await http.PutAsync(new Uri(World.SandboxOrigin + "/admin/faults"), new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
