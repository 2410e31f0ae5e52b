using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Rhizotomy.App.Sessions;

namespace Rhizotomy.App.Tests.Browser;

/// <summary>Autosave in a real browser: a dropped network, an ended session, values the response cannot hold, a re-launch.</summary>
[Collection("Browser")]
[Trait("Category", "Slow")]
public class AutosaveBrowserTests(BrowserWorld w) : IClassFixture<BrowserWorld>
{
    private const int SaveWait = 60_000;

    private static async Task<IPage> OpenNeurectomyAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (neurectomy)" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("neurectomy");
        return page;
    }

    private static ILocator Status(IPage page) => page.Locator("#autosave[role=status][aria-live=polite]");

    private static Task<int> BrowserStorageAsync(IPage page) => page.EvaluateAsync<int>("() => localStorage.length + sessionStorage.length");

    /// <summary>The same surgeon opens the app again from the launcher in this browser (the draft is kept).</summary>
    private async Task RelaunchAsync(IPage page, string patientId)
    {
        await page.GotoAsync(w.World.SandboxOrigin + "/launcher");
        await page.SelectOptionAsync("select[name=practitioner]", "surgeon-1");
        await page.SelectOptionAsync("select[name=app]", w.World.AppOrigin + "/launch");
        await page.Locator($"tr:has(a[href='/launcher/patient/{patientId}'])").GetByRole(AriaRole.Button, new() { Name = "Launch", Exact = true }).ClickAsync();
        await w.ArriveAsync(page, new Regex("^" + Regex.Escape(w.World.AppOrigin) + "/s/[^/?]+$"));
    }

    [Fact]
    public async Task What_is_typed_before_the_page_script_has_run_is_saved_once_it_runs_and_an_untouched_page_saves_nothing()
    {
        var page = await w.LaunchFromLauncherAsync("classic-left");
        var drafts = 0;
        page.Request += (_, r) => { if (r.Url.Contains("/note/draft", StringComparison.Ordinal)) drafts++; };
        // A slow network: the page's script arrives only after the surgeon has typed.
        var release = new TaskCompletionSource();
        await page.RouteAsync(new Regex(@"/form\.[a-z0-9]+\.js$"), async route =>
        {
            await release.Task;
            await route.ContinueAsync();
        });
        await page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (neurectomy)" }).ClickAsync();
        await page.GetByLabel("Approach and incision").FillAsync("Typed before the script ran");
        release.SetResult();
        await Assertions.Expect(Status(page)).ToHaveTextAsync("Saved", new() { Timeout = SaveWait });
        await page.UnrouteAllAsync();
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByLabel("Approach and incision")).ToHaveValueAsync("Typed before the script ran");

        // Opened and left alone (the script ran: its Tick-all button shows): nothing to save, so nothing is sent.
        await page.GetByRole(AriaRole.Link, new() { Name = "Start over from the chart" }).ClickAsync();
        await BrowserWorld.DiscardDraftAsync(page.MainFrame);
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Tick all the risks listed" })).ToBeVisibleAsync();
        drafts = 0;
        await page.WaitForTimeoutAsync(5_000);
        Assert.Equal(0, drafts);
        await Assertions.Expect(Status(page)).ToHaveTextAsync("");
    }

    [Fact]
    public async Task With_the_network_dropped_the_status_says_not_saved_then_saved_once_back_online_and_a_reload_gives_the_text_back()
    {
        var page = await OpenNeurectomyAsync(await w.LaunchFromLauncherAsync("classic-left"));
        await page.Context.SetOfflineAsync(true);
        await page.GetByLabel("Approach and incision").FillAsync("Typed while the network was down");
        await Assertions.Expect(Status(page)).ToHaveTextAsync("Not saved: will retry", new() { Timeout = SaveWait });
        await w.ShotAsync(page, "autosave-01-offline");
        await Assertions.Expect(page.GetByLabel("Approach and incision")).ToHaveValueAsync("Typed while the network was down");

        await page.Context.SetOfflineAsync(false);
        await Assertions.Expect(Status(page)).ToHaveTextAsync("Saved", new() { Timeout = SaveWait });
        Assert.Equal(0, await BrowserStorageAsync(page));
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#resumed")).ToContainTextAsync("Resumed your draft from");
        await Assertions.Expect(page.GetByLabel("Approach and incision")).ToHaveValueAsync("Typed while the network was down");
        Assert.Equal(0, await BrowserStorageAsync(page));
    }

    [Fact]
    public async Task When_the_session_ends_the_page_says_to_relaunch_keeps_the_typed_text_and_stops_saving()
    {
        var page = await OpenNeurectomyAsync(await w.LaunchFromLauncherAsync("classic-left"));
        var launchId = new Uri(page.Url).AbsolutePath.Split('/')[2];
        await page.GetByLabel("Pain management").FillAsync("Saved before the end");
        await Assertions.Expect(Status(page)).ToHaveTextAsync("Saved", new() { Timeout = SaveWait });

        // The app's session ends on the server (expiry, a restart without a shared store): the page only learns it from the 401.
        await w.World.App.Services.GetRequiredService<SessionStore>().RemoveAsync(launchId, CancellationToken.None);
        // The first of the page's calls to meet the 401 (the enabled items, a moment after the change, or the save) ends it.
        var saves = 0;
        page.Request += (_, r) => { if (r.Url.Contains("/note/draft", StringComparison.Ordinal) || r.Url.Contains("/note/enabled", StringComparison.Ordinal)) saves++; };
        await page.GetByLabel("Pain management").FillAsync("Typed after the session ended");
        await Assertions.Expect(Status(page)).ToContainTextAsync("Your session has ended: re-launch the app from the patient's chart", new() { Timeout = SaveWait });
        await Assertions.Expect(Status(page)).ToContainTextAsync("What you typed stays on this page");
        await w.ShotAsync(page, "autosave-02-session-ended");
        Assert.Empty(await BrowserWorld.SeriousViolationsAsync(page.MainFrame));
        Assert.Equal(1, saves);

        // Nothing more is sent: typing again and pressing Check keep the surgeon on this page with the text.
        await page.GetByLabel("Wound care and infection prevention").FillAsync("Still typing");
        await page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync();
        await Assertions.Expect(Status(page)).ToContainTextAsync("Your session has ended");
        Assert.EndsWith("/note?template=occipital-neurectomy", page.Url, StringComparison.Ordinal);
        await Assertions.Expect(page.GetByLabel("Pain management")).ToHaveValueAsync("Typed after the session ended");
        await Assertions.Expect(page.GetByLabel("Wound care and infection prevention")).ToHaveValueAsync("Still typing");
        // Longer than the autosave pause (3 s): a failure here means the page kept calling the server after the 401.
        await page.WaitForTimeoutAsync(4_000);
        Assert.Equal(1, saves);
        Assert.Equal(0, await BrowserStorageAsync(page));
    }

    [Fact]
    public async Task An_invalid_number_and_text_behind_a_closed_branch_survive_a_reload()
    {
        var page = await OpenNeurectomyAsync(await w.LaunchFromLauncherAsync("classic-left"));
        await page.GetByLabel("Estimated blood loss").FillAsync("abc");
        await page.Locator("#f-gon-left-treated").CheckAsync();
        var section = page.Locator("#f-treat-gon-left");
        await section.GetByLabel("Segment length").FillAsync("17");
        // Unticking the nerve closes its section; what was typed there is kept, not sent.
        await page.Locator("#f-gon-left-treated").UncheckAsync();
        await Assertions.Expect(section).ToBeHiddenAsync();
        await Assertions.Expect(Status(page)).ToHaveTextAsync("Saved", new() { Timeout = SaveWait });

        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#resumed")).ToContainTextAsync("Resumed your draft from");
        await Assertions.Expect(page.GetByLabel("Estimated blood loss")).ToHaveValueAsync("abc");
        await Assertions.Expect(page.Locator("#f-gon-left-treated")).Not.ToBeCheckedAsync();
        await Assertions.Expect(section).ToBeHiddenAsync();
        await page.Locator("#f-gon-left-treated").CheckAsync();
        await Assertions.Expect(section.GetByLabel("Segment length")).ToHaveValueAsync("17");
        await w.ShotAsync(page, "autosave-03-kept-after-reload");
        Assert.Equal(0, await BrowserStorageAsync(page));
    }

    [Fact]
    public async Task A_relaunch_from_the_ehr_offers_the_draft_and_resumes_it()
    {
        var page = await OpenNeurectomyAsync(await w.LaunchFromLauncherAsync("classic-left"));
        await page.GetByLabel("Return to activity").FillAsync("Saved, then the app was closed");
        await Assertions.Expect(Status(page)).ToHaveTextAsync("Saved", new() { Timeout = SaveWait });

        await RelaunchAsync(page, "classic-left");
        var offer = page.Locator("p.notice.draft");
        await Assertions.Expect(offer).ToContainTextAsync("Unsigned draft");
        await w.ShotAsync(page, "autosave-04-relaunch-offers-draft");
        await offer.GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(page.Locator("#resumed")).ToContainTextAsync("Resumed your draft from");
        await Assertions.Expect(page.GetByLabel("Return to activity")).ToHaveValueAsync("Saved, then the app was closed");
        Assert.Equal(0, await BrowserStorageAsync(page));
    }
}
