using System.Net;

namespace Rhizotomy.App.Tests.Hygiene;

/// <summary>
/// The same launches with both hosts' logs turned up to Debug (what an operator might do to chase a
/// problem): tokens, secrets and chart text must still stay out.
/// </summary>
public class DebugLogTests(DebugHygieneWorld fixture) : IClassFixture<DebugHygieneWorld>
{
    [Fact]
    public async Task With_logs_at_debug_a_launch_and_a_refresh_log_no_token_secret_or_chart_text()
    {
        var world = fixture.World;
        var (browser, cookies) = HygieneWorldBase.NewBrowser();
        using var _ = browser;
        var hops = await fixture.WalkAsync(browser, new Uri($"{world.SandboxOrigin}/launcher/launch?practitioner=surgeon-1&patient=odd-data&app={Uri.EscapeDataString(world.AppOrigin + "/launch")}"));
        Assert.Equal(HttpStatusCode.OK, hops[^1].Status);
        using var contextResponse = await browser.GetAsync(new Uri(world.AppOrigin + "/api/context"));
        var context = await SmartWorld.JsonAsync(contextResponse);
        fixture.Secrets.Add("csrf token", context.GetProperty("csrfToken").GetString());
        using var refresh = new HttpRequestMessage(HttpMethod.Post, world.AppOrigin + "/api/session/refresh");
        refresh.Headers.Add("X-CSRF-Token", context.GetProperty("csrfToken").GetString());
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(refresh)).StatusCode);
        fixture.NoteCookies(cookies);
        Assert.Contains(fixture.AppLog.Lines, l => l.StartsWith("Debug ", StringComparison.Ordinal));
        fixture.AssertLogsClean("access_token", "refresh_token", "id_token", "code", "code_verifier", "client_secret", "state", "launch", "csrf token", "cookie rz_session");
    }
}
