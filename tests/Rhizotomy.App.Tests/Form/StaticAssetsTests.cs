using System.Net;
using System.Text.RegularExpressions;

namespace Rhizotomy.App.Tests.Form;

/// <summary>The pages' style and script are wwwroot files: linked by fingerprinted name, cacheable (ETag), compressed; the pages stay no-store.</summary>
public partial class StaticAssetsTests(FormWorld f) : IClassFixture<FormWorld>
{
    [Fact]
    public async Task The_note_page_links_fingerprinted_style_and_script_that_are_cacheable_and_compressed()
    {
        using var page = await f.Browser.GetAsync(f.Url($"/s/{f.LaunchId}/note?template=occipital-neurectomy&fresh=1"));
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("no-store", page.Headers.CacheControl?.ToString());

        var document = Html.Parse(html);
        var links = document.QuerySelectorAll("link[href]").Select(l => l.GetAttribute("href")!)
            .Concat(document.QuerySelectorAll("script[src]").Select(s => s.GetAttribute("src")!))
            .Where(l => l.StartsWith('/') && (l.EndsWith(".css", StringComparison.Ordinal) || l.EndsWith(".js", StringComparison.Ordinal))).ToList();
        Assert.Contains(links, l => Fingerprinted().IsMatch(l) && l.StartsWith("/app.", StringComparison.Ordinal));
        Assert.Contains(links, l => Fingerprinted().IsMatch(l) && l.StartsWith("/form.", StringComparison.Ordinal) && l.EndsWith(".css", StringComparison.Ordinal));
        var script = Assert.Single(links, l => l.EndsWith(".js", StringComparison.Ordinal));
        Assert.Matches(Fingerprinted(), script);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain(" style=\"", html, StringComparison.Ordinal);

        using var request = new HttpRequestMessage(HttpMethod.Get, f.Url(script));
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        using var asset = await f.Browser.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        // Cacheable with revalidation (a build's manifest; a published app's says immutable for the fingerprinted names), never no-store.
        Assert.DoesNotContain("no-store", asset.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        Assert.Equal("gzip", Assert.Single(asset.Content.Headers.ContentEncoding));
        Assert.NotNull(asset.Headers.ETag);
        Assert.Contains("script-src 'self'", string.Join(' ', asset.Headers.GetValues("Content-Security-Policy")));
    }

    // name.fingerprint.ext, as MapStaticAssets serves it.
    [GeneratedRegex(@"^/[a-z-]+\.[a-z0-9]{6,}\.(css|js)$")]
    private static partial Regex Fingerprinted();
}
