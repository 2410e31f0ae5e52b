using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OpenTelemetry.Trace;
using Rhizotomy.App.Tests.Browser;

namespace Rhizotomy.App.Tests.Hosting;

/// <summary>The app and the sandbox behind a real nginx terminating TLS (see <see cref="ProxiedWorld"/>).</summary>
[Trait("Category", "Slow")]
public sealed class ProxyTests(ProxiedWorld w) : IClassFixture<ProxiedWorld>
{
    /// <summary>The server span of the request to <paramref name="route"/>, once exported.</summary>
    private async Task<System.Diagnostics.Activity> ServerSpanAsync(string route)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            w.App.Services.GetRequiredService<TracerProvider>().ForceFlush();
            var span = w.SpansNow().LastOrDefault(s => s.Kind == System.Diagnostics.ActivityKind.Server && (string?)s.GetTagItem("url.path") == route);
            if (span is not null)
                return span;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("No server span for " + route);
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Forwarded_scheme_host_and_client_address_are_believed_from_the_configured_proxy_only()
    {
        using var client = w.Client();
        // Through nginx: it connects from 127.0.0.2 with Host "app" (its upstream's name); it says the client's
        // address, https and the public host, and replaces the X-Forwarded-For the client made up.
        using (var through = new HttpRequestMessage(HttpMethod.Get, w.AppOrigin + "/health"))
        {
            through.Headers.Add("X-Forwarded-For", "203.0.113.9");
            using var answer = await client.SendAsync(through);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }
        var proxied = await ServerSpanAsync("/health");
        Assert.Equal("https", proxied.GetTagItem("url.scheme"));
        Assert.Equal("127.0.0.1", proxied.GetTagItem("client.address"));
        Assert.Equal("127.0.0.1", proxied.GetTagItem("server.address"));

        // Straight to the app from an address that is not the proxy: the same headers are not believed.
        using (var direct = new HttpRequestMessage(HttpMethod.Get, w.AppDirect + "/health/live"))
        {
            direct.Headers.Add("X-Forwarded-For", "203.0.113.9");
            direct.Headers.Add("X-Forwarded-Proto", "https");
            direct.Headers.Add("X-Forwarded-Host", "evil.example.org");
            using var answer = await client.SendAsync(direct);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }
        var straight = await ServerSpanAsync("/health/live");
        Assert.Equal("http", straight.GetTagItem("url.scheme"));
        Assert.Equal("127.0.0.1", straight.GetTagItem("client.address"));
        Assert.Equal("127.0.0.1", straight.GetTagItem("server.address"));
    }

    [Fact]
    public async Task Over_https_the_session_cookie_is_host_prefixed_secure_same_site_none_and_partitioned_and_hsts_is_sent()
    {
        using var client = w.Client(followRedirects: false);
        using var launch = await client.GetAsync(new Uri(w.AppOrigin + "/launch?iss=" + Uri.EscapeDataString(w.Issuer)));

        Assert.Equal(HttpStatusCode.Redirect, launch.StatusCode);
        Assert.StartsWith(w.EhrOrigin + "/", launch.Headers.Location!.ToString(), StringComparison.Ordinal);
        var cookie = Assert.Single(launch.Headers.GetValues("Set-Cookie"), c => c.StartsWith("__Host-rz_session=", StringComparison.Ordinal));
        var attributes = cookie.Split(';').Skip(1).Select(a => a.Trim().ToLowerInvariant()).ToList();
        Assert.Contains("secure", attributes);
        Assert.Contains("samesite=none", attributes);
        Assert.Contains("httponly", attributes);
        Assert.Contains("path=/", attributes);
        // Kept by a browser that blocks third-party cookies, for this app inside that EHR's page (CHIPS).
        Assert.Contains("partitioned", attributes);
        Assert.DoesNotContain(attributes, a => a.StartsWith("domain=", StringComparison.Ordinal));
        Assert.Equal("max-age=31536000; includeSubDomains", Assert.Single(launch.Headers.GetValues("Strict-Transport-Security")));
    }

    [Fact]
    public async Task The_whole_journey_works_in_a_cross_site_ehr_iframe_over_https_in_chromium()
    {
        // The machine is shared: generous waits (the same as the other browser tests), never a timing assertion.
        Assertions.SetDefaultExpectTimeout(30_000);
        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = BrowserWorld.Chromium,
            Headless = true,
            // The run's certificate only, by its key's hash: no certificate error is ignored for anything else.
            Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--ignore-certificate-errors-spki-list=" + w.Certificate.SpkiSha256],
        });
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1200, Height = 1000 }, Locale = "en-US", TimezoneId = "UTC" });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        var interactions = new Interactions();

        await page.GotoAsync($"{w.EhrOrigin}/launcher/embed?practitioner=surgeon-1&patient=classic-left&encounter=classic-left-surgery&app={Uri.EscapeDataString(w.AppOrigin + "/launch")}");
        var frame = page.FrameLocator("iframe#app");
        try
        {
            await Assertions.Expect(frame.GetByRole(AriaRole.Heading, new() { Name = "Case for occipital nerve rhizotomy" })).ToBeVisibleAsync();
        }
        catch (PlaywrightException)
        {
            var said = await Task.WhenAll(page.Frames.Select(async f => new Uri(f.Url).AbsolutePath + ": " + await f.Locator("body").InnerTextAsync()));
            throw new InvalidOperationException("The app did not open in the frame: " + string.Join(" | ", said) + "; nginx: " + w.Proxy.ErrorLog());
        }
        var app = page.Frames.First(f => f.Url.StartsWith(w.AppOrigin, StringComparison.Ordinal));
        // The frame is the app over https, in a page of another site (the EHR's, over https too).
        Assert.StartsWith("https://localhost:", page.Url, StringComparison.Ordinal);
        Assert.Equal("https:", await app.EvaluateAsync<string>("() => location.protocol"));
        await BrowserWorld.DiscardDraftAsync(app);

        await app.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (neurectomy)" }).ClickAsync();
        await app.Locator("#f-consent-obtained").CheckAsync();
        await app.GetByRole(AriaRole.Button, new() { Name = "Tick all the risks listed" }).ClickAsync();
        await app.GetByLabel("Approach and incision").FillAsync("Transverse incision below the hairline, through the proxy");
        await app.Locator("#f-gon-left-treated").CheckAsync();
        var section = app.Locator("#f-treat-gon-left");
        await section.GetByLabel("Nerve entrapped").CheckAsync();
        await section.GetByLabel("Segment length").FillAsync("15");
        await section.GetByLabel("Proximal stump buried in muscle").CheckAsync();
        await section.GetByRole(AriaRole.Group, new() { Name = "Specimen sent to pathology" }).GetByLabel("Yes").CheckAsync();
        await interactions.CloseTheNoteAsync(app, "5", "Keep the wound dry for 48 hours", NoteAnswers.HoursAgo(3), NoteAnswers.HoursAgo(2));
        await app.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync();
        await Assertions.Expect(app.Locator("#summary")).ToContainTextAsync("All checks passed");

        await app.GetByRole(AriaRole.Button, new() { Name = "Sign and file the note" }).ClickAsync();
        await app.GetByRole(AriaRole.Button, new() { Name = "Confirm and sign" }).ClickAsync();
        await Assertions.Expect(app.Locator("#sign-status")).ToContainTextAsync("Signed and filed in the EHR", new() { Timeout = 90_000 });
        await Assertions.Expect(app.Locator("#sign-status")).ToContainTextAsync("DocumentReference/");
        // The EHR's page stayed where it was: everything happened in the frame.
        Assert.Matches(new Regex("^" + Regex.Escape(w.EhrOrigin) + "/launcher/embed"), page.Url);
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", "proxy-iframe-signed.png"), FullPage = true });
    }
}
