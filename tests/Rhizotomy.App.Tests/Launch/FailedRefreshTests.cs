using System.Net;

namespace Rhizotomy.App.Tests.Launch;

public class FailedRefreshTests
{
    [Fact]
    public async Task A_failed_refresh_asks_for_a_relaunch_and_keeps_the_session()
    {
        await using var world = await SmartWorld.StartAsync();
        await world.SeedAsync(Charts.ClassicLeft());
        using var browser = SmartWorld.Browser();
        var page = await browser.GetAsync(world.LaunchUrl("test-classic-left", "test-surgeon"));
        var csrf = (await SmartWorld.JsonAsync(await browser.GetAsync(new Uri(world.AppOrigin + "/api/context")))).GetProperty("csrfToken").GetString();

        // The EHR goes away: the refresh cannot succeed.
        await world.Sandbox.StopAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, world.AppOrigin + "/api/session/refresh");
        request.Headers.Add("X-CSRF-Token", csrf);
        var refresh = await SmartWorld.JsonAsync(await browser.SendAsync(request));
        var again = await browser.GetAsync(page.RequestMessage!.RequestUri);
        var context = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri(world.AppOrigin + "/api/context")));

        Assert.True(refresh.GetProperty("needsRelaunch").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("please re-launch", await again.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.True(context.GetProperty("mode").GetProperty("needsRelaunch").GetBoolean());
        Assert.True(context.GetProperty("mode").GetProperty("readOnly").GetBoolean());
        Assert.Equal("test-classic-left", context.GetProperty("patientId").GetString());
        // The browser's CSRF token still works (the session and the antiforgery cookie are kept).
        using var again2 = new HttpRequestMessage(HttpMethod.Post, world.AppOrigin + "/api/session/refresh");
        again2.Headers.Add("X-CSRF-Token", csrf);
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(again2)).StatusCode);
    }
}
