using System.Net;
using System.Text.RegularExpressions;

namespace Rhizotomy.App.Tests.Hygiene;

/// <summary>
/// Answers that carry tokens or PHI are never cached; error pages and OperationOutcomes of the app,
/// fed malformed input, carry no stack trace, exception type, SQL or file path.
/// </summary>
[Collection(HygieneWorldCollection.Name)]
public partial class ResponseHygieneTests(HygieneWorld fixture)
{
    private SmartWorld World => fixture.World;

    /// <summary>What an error answer must never show.</summary>
    public static List<string> InternalsIn(string body)
    {
        var found = new List<string>();
        foreach (Match m in Internals().Matches(body))
            found.Add(m.Value);
        return found;
    }

    [GeneratedRegex(@"\bat [A-Za-z_][\w.`<>]+\(|\w+Exception\b|System\.[A-Z]\w+|Microsoft\.[A-Z]\w+|\.cs:line|/home/|/tmp/|/work/|[A-Z]:\\|\bSELECT\b.*\bFROM\b|\bINSERT INTO\b|\bWHERE\b.*=|SQLite|[Ss]tack ?[Tt]race")]
    private static partial Regex Internals();

    [Fact]
    public async Task Token_context_evidence_and_callback_answers_are_never_cached()
    {
        var (browser, _) = HygieneWorldBase.NewBrowser();
        using var __ = browser;
        var hops = await fixture.WalkAsync(browser, new Uri($"{World.SandboxOrigin}/launcher/launch?practitioner=surgeon-1&patient=classic-left&app={Uri.EscapeDataString(World.AppOrigin + "/launch")}"));
        using var context = await browser.GetAsync(new Uri(World.AppOrigin + "/api/context"));
        var csrf = (await SmartWorld.JsonAsync(context)).GetProperty("csrfToken").GetString();
        using var refreshRequest = new HttpRequestMessage(HttpMethod.Post, World.AppOrigin + "/api/session/refresh");
        refreshRequest.Headers.Add("X-CSRF-Token", csrf);
        using var refresh = await browser.SendAsync(refreshRequest);
        using var stranger = new HttpClient();
        using var ended = await stranger.GetAsync(new Uri(World.AppOrigin + "/api/context"));

        var app = new Uri(World.AppOrigin).Authority;
        var appHops = hops.Where(h => h.Url.Authority == app).ToList();
        Assert.Contains(appHops, h => h.Url.AbsolutePath == "/callback");
        Assert.Contains(appHops, h => h.Url.AbsolutePath.StartsWith("/s/", StringComparison.Ordinal) && h.Status == HttpStatusCode.OK);
        foreach (var hop in appHops)
            Assert.True(hop.CacheControl?.Contains("no-store", StringComparison.Ordinal) == true, $"{hop.Url.AbsolutePath}: Cache-Control {hop.CacheControl}");
        foreach (var response in new[] { context, refresh, ended })
        {
            Assert.True(response.Headers.CacheControl?.NoStore == true, $"{response.RequestMessage!.RequestUri!.AbsolutePath}: Cache-Control {response.Headers.CacheControl}");
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        }
        // The sandbox's token endpoint, as the app met it (code exchange and refresh).
        Assert.True(fixture.Recorder.CacheControls.Count >= 2);
        Assert.All(fixture.Recorder.CacheControls, c => Assert.Contains("no-store", c, StringComparison.Ordinal));
    }

    public static TheoryData<string, string, string?> MalformedRequests => new()
    {
        { "GET", "/launch", null },
        { "GET", "/launch?iss=%ZZ%00", null },
        { "GET", "/launch?iss=javascript:alert(1)&launch=x", null },
        { "GET", "/launch?iss=" + new string('a', 5000), null },
        { "GET", "/launch?iss=a&iss=b&launch=1&launch=2", null },
        { "GET", "/callback", null },
        { "GET", "/callback?state=abc&code=def", null },
        { "GET", "/callback?state=" + new string('s', 300), null },
        { "GET", "/callback?state=abc&error=%3Cscript%3Ealert(1)%3C%2Fscript%3E&error_description=%27%20OR%201%3D1", null },
        { "GET", "/s/does-not-exist", null },
        { "GET", "/s/%27%20OR%201%3D1%20--", null },
        { "GET", "/s/" + new string('x', 3000), null },
        { "GET", "/s/%00%01", null },
        { "GET", "/api/context?launch=..%2F..%2Fetc%2Fpasswd", null },
        { "GET", "/api/context?launch=%E2%80%AE%00", null },
        { "POST", "/api/session/refresh", null },
        { "POST", "/api/session/refresh", "{\"not\":\"json" },
        { "POST", "/api/context", "<xml/>" },
        { "PUT", "/launch", "garbage" },
        { "DELETE", "/callback", null },
        { "GET", "/no/such/page", null },
    };

    [Theory]
    [MemberData(nameof(MalformedRequests))]
    public async Task Malformed_requests_to_the_app_get_no_stack_trace_type_name_sql_or_path(string method, string path, string? body)
    {
        var (browser, _) = HygieneWorldBase.NewBrowser();
        using var __ = browser;
        // A browser with a session and a garbled one: both must be answered plainly.
        await fixture.WalkAsync(browser, new Uri($"{World.AppOrigin}/launch?iss={Uri.EscapeDataString(World.Issuer)}"));
        foreach (var garbled in new[] { false, true })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), World.AppOrigin + path);
            if (body is not null)
                request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            if (garbled)
            {
                request.Headers.Add("Cookie", "rz_session=%27%22%3C%3E" + new string('z', 500));
                request.Headers.Add("X-Launch-Id", "../../%C3%A9t%C3%A9\\x00");
                request.Headers.Add("X-CSRF-Token", "' OR 1=1 --");
            }
            using var response = await browser.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();

            Assert.True((int)response.StatusCode < 500, $"{method} {path}: {(int)response.StatusCode} {text}");
            Assert.True(InternalsIn(text).Count == 0, $"{method} {path}: {string.Join(", ", InternalsIn(text))}");
            Assert.DoesNotContain("<script>alert", text, StringComparison.Ordinal);
        }
    }
}
