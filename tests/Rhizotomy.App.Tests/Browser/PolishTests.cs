using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Rhizotomy.App.Sessions;
using Xunit.Abstractions;

namespace Rhizotomy.App.Tests.Browser;

/// <summary>Small things a surgeon or an integration engineer would notice: buttons the script works, calls after the end, link texts.</summary>
[Collection("Browser")]
[Trait("Category", "Slow")]
public class PolishTests(BrowserWorld w, ITestOutputHelper output) : IClassFixture<BrowserWorld>
{
    private const int SaveWait = 60_000;

    private static async Task<IPage> OpenNeurectomyAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (neurectomy)" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("neurectomy");
        return page;
    }

    private static ILocator Risks(IPage page) => page.GetByRole(AriaRole.Group, new() { Name = "Risks discussed" });

    /// <summary>
    /// The accessible names of the links and buttons the surgeon can reach on the page (visible ones), as a screen reader's
    /// list of links and buttons shows them: without the text around them. Links come with where they go.
    /// </summary>
    private static async Task<List<(string Kind, string Name, string? Href)>> ControlsAsync(IPage page)
    {
        var found = await page.EvaluateAsync<string[][]>("""
            () => [...document.querySelectorAll('a[href], button')]
              .filter(e => e.getClientRects().length > 0 && !e.closest('[hidden]'))
              .map(e => [e.tagName === 'A' ? 'link' : 'button', (e.getAttribute('aria-label') || e.innerText || '').replace(/\s+/g, ' ').trim(), e.tagName === 'A' ? e.getAttribute('href') : ''])
            """);
        return [.. found.Select(f => (f[0], f[1], f[0] == "link" ? f[2] : null))];
    }

    /// <summary>Every link and button says what it does on its own (WCAG 2.4.4/2.4.9): words, not a bracket or a code.</summary>
    private async Task AssertSelfExplainingAsync(IPage page, string where)
    {
        var controls = await ControlsAsync(page);
        foreach (var (kind, name, href) in controls)
        {
            output.WriteLine($"{where}: {kind} \"{name}\"" + (href is null ? "" : " -> " + href));
            var words = Regex.Count(name, "[A-Za-z]+");
            Assert.True(words >= 2 && !name.StartsWith('(') && !Regex.IsMatch(name, "^[a-z]+(-[a-z]+)+$"),
                $"On the {where} the {kind} \"{name}\" does not say what it does on its own.");
        }
        // Two links with the same words go to the same place.
        foreach (var same in controls.Where(c => c.Kind == "link").GroupBy(c => c.Name))
            Assert.True(same.Select(c => c.Href).Distinct().Count() == 1, $"On the {where} the links \"{same.Key}\" go to different places.");
    }

    [Fact]
    public async Task Tick_all_the_risks_listed_is_autosaved_and_marks_the_signing_preview_stale()
    {
        var page = await OpenNeurectomyAsync(await w.LaunchFromLauncherAsync("classic-left"));
        await FailurePage.FillCleanLeftNeurectomyAsync(page);
        await Risks(page).GetByLabel("Infection").UncheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync();
        await Assertions.Expect(page.Locator("pre.preview")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign and file the note" })).ToBeVisibleAsync();
        await Assertions.Expect(Risks(page).GetByLabel("Infection")).Not.ToBeCheckedAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Tick all the risks listed" }).ClickAsync();
        await Assertions.Expect(Risks(page).GetByLabel("Infection")).ToBeCheckedAsync();
        // The preview was of the answers before the button: Sign waits for the next check.
        await Assertions.Expect(page.Locator("#preview-stale")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign and file the note" })).ToBeHiddenAsync();
        // Autosave noticed the change (the check saved the draft before the button).
        await Assertions.Expect(page.Locator("#autosave")).ToHaveTextAsync("Saved", new() { Timeout = SaveWait });
        await w.ShotAsync(page, "polish-01-tick-all-saved-preview-stale");

        var launchId = new Uri(page.Url).AbsolutePath.Split('/')[2];
        await page.GotoAsync($"{w.World.AppOrigin}/s/{launchId}/note?template=occipital-neurectomy");
        await Assertions.Expect(page.Locator("#resumed")).ToContainTextAsync("Resumed your draft from");
        foreach (var risk in new[] { "Scalp numbness or tingling", "Infection", "Bleeding", "Damage to adjacent structures" })
            await Assertions.Expect(Risks(page).GetByLabel(risk)).ToBeCheckedAsync();
        await BrowserWorld.DiscardDraftAsync(page.MainFrame);
    }

    [Fact]
    public async Task Once_the_session_has_ended_changes_no_longer_send_live_checks()
    {
        var page = await OpenNeurectomyAsync(await w.LaunchFromLauncherAsync("classic-left"));
        var launchId = new Uri(page.Url).AbsolutePath.Split('/')[2];
        // After a check the page re-checks the answers as the surgeon types (POST .../note/response, then $check), and asks
        // which items the answers enable (POST .../note/enabled).
        await page.GetByLabel("Pain management").FillAsync("Checked before the end");
        await page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync();
        await Assertions.Expect(page.Locator("#summary")).ToBeVisibleAsync();

        await w.World.App.Services.GetRequiredService<SessionStore>().RemoveAsync(launchId, CancellationToken.None);
        var calls = 0;
        page.Request += (_, r) =>
        {
            if (r.Url.Contains("/note/response", StringComparison.Ordinal) || r.Url.Contains("/api/notes/$check", StringComparison.Ordinal) || r.Url.Contains("/note/draft", StringComparison.Ordinal)
                || r.Url.Contains("/note/enabled", StringComparison.Ordinal))
                Interlocked.Increment(ref calls);
        };
        await page.GetByLabel("Pain management").FillAsync("Typed after the session ended");
        await Assertions.Expect(page.Locator("#autosave")).ToContainTextAsync("Your session has ended: re-launch the app from the patient's chart", new() { Timeout = SaveWait });
        var atTheEnd = Volatile.Read(ref calls);
        output.WriteLine($"Calls until the page knew the session had ended: {atTheEnd}");
        Assert.InRange(atTheEnd, 1, 2);

        await page.GetByLabel("Wound care and infection prevention").FillAsync("Still typing");
        await page.GetByLabel("Return to activity").FillAsync("And more");
        await page.GetByLabel("Estimated blood loss").FillAsync("7");
        // Longer than both pauses (re-check 0.7 s, autosave 3 s): a failure here means the page kept calling after the 401.
        await page.WaitForTimeoutAsync(4_000);
        Assert.Equal(atTheEnd, Volatile.Read(ref calls));
        await Assertions.Expect(page.GetByLabel("Return to activity")).ToHaveValueAsync("And more");
        await Assertions.Expect(page.Locator("#autosave")).ToContainTextAsync("What you typed stays on this page");
    }

    [Fact]
    public async Task Every_link_and_button_on_the_case_note_signed_note_and_failure_pages_says_what_it_does_on_its_own()
    {
        var page = await w.LaunchFromLauncherAsync("classic-left");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (coagulation)", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (neurectomy)", Exact = true })).ToBeVisibleAsync();
        await AssertSelfExplainingAsync(page, "case page");

        await OpenNeurectomyAsync(page);
        await page.GetByLabel("Approach and incision").FillAsync("Saved so that the case page offers the draft");
        await Assertions.Expect(page.Locator("#autosave")).ToHaveTextAsync("Saved", new() { Timeout = SaveWait });
        await AssertSelfExplainingAsync(page, "note page");
        // With the problems of an unfinished note listed (each links to its field).
        await page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync();
        await Assertions.Expect(page.Locator("#summary")).ToBeVisibleAsync();
        await AssertSelfExplainingAsync(page, "note page with problems");

        var launchId = new Uri(page.Url).AbsolutePath.Split('/')[2];
        await page.GotoAsync($"{w.World.AppOrigin}/s/{launchId}");
        await Assertions.Expect(page.Locator("p.notice.draft")).ToContainTextAsync("Unsigned draft");
        await AssertSelfExplainingAsync(page, "case page with a draft");

        await OpenNeurectomyAsync(page);
        await FailurePage.FillCleanLeftNeurectomyAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync();
        await Assertions.Expect(page.Locator("#summary")).ToContainTextAsync("All checks passed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign and file the note" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel signing" })).ToBeVisibleAsync();
        await AssertSelfExplainingAsync(page, "note page asking to confirm");
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm and sign" }).ClickAsync();
        await Assertions.Expect(page.Locator("#sign-status")).ToContainTextAsync("Signed and filed in the EHR", new() { Timeout = 90_000 });
        await AssertSelfExplainingAsync(page, "note page after signing");

        await page.GetByRole(AriaRole.Link, new() { Name = "Open the signed note / print" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Signed operative note");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Print the note" })).ToBeVisibleAsync();
        await AssertSelfExplainingAsync(page, "signed note page");
        await w.ShotAsync(page, "polish-02-signed-note-links");

        var failure = await page.GotoAsync($"{w.World.AppOrigin}/s/no-such-launch");
        Assert.Equal(401, failure!.Status);
        await AssertSelfExplainingAsync(page, "session-ended page");
    }
}
