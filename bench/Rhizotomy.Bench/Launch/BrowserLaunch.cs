using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Rhizotomy.Bench.Launch;

/// <summary>What one launch took, as a browser sees it.</summary>
/// <param name="CallbackToPageMs">From sending <c>GET /callback</c> to the last byte of the case page (<c>/s/{launch id}</c>).</param>
/// <param name="CallbackToAssetsMs">The same, until the page's stylesheets and scripts have arrived too.</param>
/// <param name="TotalMs">From the launcher's launch URL to the last byte of the case page.</param>
public sealed record LaunchTiming(double CallbackToPageMs, double CallbackToAssetsMs, double TotalMs);

/// <summary>
/// An EHR launch walked over real HTTP the way a browser walks it: one cookie jar, every redirect
/// followed by hand (so the callback can be timed), from the EHR launcher's launch URL through the
/// app's <c>/launch</c>, the EHR's authorize endpoint and the app's <c>/callback</c> to the case page,
/// then the page's own stylesheets and scripts.
/// </summary>
public static partial class BrowserLaunch
{
    /// <summary>A new browser: its own cookies and connections, redirects left to <see cref="WalkAsync"/>.</summary>
    public static HttpClient NewBrowser() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true });

    /// <summary>The sandbox launcher's launch URL for a practitioner, a patient, an encounter (optional) and an app.</summary>
    public static Uri LauncherUrl(string sandboxOrigin, string appOrigin, string practitioner, string patient, string? encounter) =>
        new($"{sandboxOrigin}/launcher/launch?practitioner={practitioner}&patient={patient}"
            + (encounter is null ? "" : $"&encounter={encounter}") + $"&app={Uri.EscapeDataString(appOrigin + "/launch")}");

    /// <param name="assets">Also fetch the page's stylesheets and scripts (else <see cref="LaunchTiming.CallbackToAssetsMs"/> is the page's time).</param>
    public static async Task<LaunchTiming> WalkAsync(HttpClient browser, Uri launcherUrl, bool assets = true)
    {
        var started = Stopwatch.GetTimestamp();
        var next = launcherUrl;
        long callbackAt = 0;
        for (var hop = 0; hop < 10; hop++)
        {
            if (next.AbsolutePath == "/callback")
                callbackAt = Stopwatch.GetTimestamp();
            using var response = await browser.GetAsync(next);
            if (response.StatusCode == HttpStatusCode.OK && next.AbsolutePath.StartsWith("/s/", StringComparison.Ordinal))
            {
                var html = await response.Content.ReadAsStringAsync();
                var pageDone = Stopwatch.GetTimestamp();
                // A browser asks for the head's stylesheet and scripts at once, over its open connections.
                await Task.WhenAll((assets ? Assets().Matches(html) : Enumerable.Empty<Match>()).Select(async m =>
                {
                    using var asset = await browser.GetAsync(new Uri(next, WebUtility.HtmlDecode(m.Groups["url"].Value)));
                    asset.EnsureSuccessStatusCode();
                    await asset.Content.ReadAsByteArrayAsync();
                }));
                var assetsDone = Stopwatch.GetTimestamp();
                return new LaunchTiming(
                    Stopwatch.GetElapsedTime(callbackAt, pageDone).TotalMilliseconds,
                    Stopwatch.GetElapsedTime(callbackAt, assetsDone).TotalMilliseconds,
                    Stopwatch.GetElapsedTime(started, pageDone).TotalMilliseconds);
            }
            var location = response.Headers.Location ?? throw new InvalidOperationException($"Launch stopped at {next.AbsolutePath} with HTTP {(int)response.StatusCode}.");
            next = location.IsAbsoluteUri ? location : new Uri(next, location);
        }
        throw new InvalidOperationException("The launch did not reach the app's page.");
    }

    [GeneratedRegex(@"<(?:link rel=""stylesheet"" href|script[^>]* src)=""(?<url>[^""]+)""")]
    private static partial Regex Assets();
}
