using System.Net;

namespace Rhizotomy.App.Tests.Launch;

/// <summary>The sandbox serves the corpus charts (Sandbox:Seed:Corpus): a surgeon launches one and sees its blocks.</summary>
public class CorpusLaunchTests
{
    [Fact]
    public async Task A_corpus_patient_launched_from_the_real_sandbox_shows_its_blocks_read_from_shorthand_on_the_case_page()
    {
        var options = new SmartWorld.Options();
        options.Sandbox["Sandbox:Seed:Corpus"] = "true";
        await using var world = await SmartWorld.StartAsync(options);
        using var browser = SmartWorld.Browser();

        // corpus-24: "GON blk L, 0.5% bupi 2ml, 80% relief x 3d" and "s/p R LON inj ~60% better", nothing coded.
        var page = await browser.GetAsync(world.LaunchUrl("corpus-24", "surgeon-1"));
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Desmond Achterberg", html);
        var start = html.IndexOf("Prior occipital nerve blocks", StringComparison.Ordinal);
        Assert.True(start >= 0, "the case page has no blocks section");
        var end = html.IndexOf("<h2", start, StringComparison.Ordinal);
        var blocks = end < 0 ? html[start..] : html[start..end];
        Assert.Contains("Procedure/corpus-24-b1", blocks);
        Assert.Contains("2025-04-02", blocks);
        Assert.Contains("80% (text)", blocks);
        Assert.Contains("Procedure/corpus-24-b2", blocks);
        Assert.Contains("2025-05-20", blocks);
        Assert.Contains("lesser occipital", blocks);
        Assert.Contains("60% (text)", blocks);
        Assert.DoesNotContain("5% (text)", blocks);
    }
}
