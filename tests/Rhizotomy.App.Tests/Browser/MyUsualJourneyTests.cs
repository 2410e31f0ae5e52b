using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Rhizotomy.App.Tests.Browser;

/// <summary>
/// "My usual" in a real browser: the surgeon's first note of a template, then the next one with their usual technique,
/// closure and plan filled in one click, with the interactions counted as issue 16 counts them.
/// </summary>
[Collection("Browser")]
[Trait("Category", "Slow")]
public class MyUsualJourneyTests(BrowserWorld w, ITestOutputHelper output) : IClassFixture<BrowserWorld>
{
    private readonly Interactions _interactions = new();

    [Fact]
    public async Task A_second_unilateral_greater_occipital_neurectomy_with_my_usual_takes_at_most_12_interactions()
    {
        // The first note ever of this surgeon and template (counted too: at most 25).
        var page = await w.LaunchFromLauncherAsync("classic-left");
        _interactions.Reset();
        await _interactions.Act(() => page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (neurectomy)", Exact = true }).ClickAsync());
        await Assertions.Expect(page.Locator("#f-consent-obtained")).ToBeVisibleAsync();
        await ConsentAsync(page);
        await _interactions.Act(() => page.GetByLabel("Approach and incision").FillAsync("Transverse incision below the hairline"));
        await _interactions.Act(() => page.Locator("svg.nerve-map path.hit[data-nerve=treat-gon-left]").ClickAsync(new() { Force = true }));
        var section = page.Locator("#f-treat-gon-left");
        await _interactions.Act(() => section.GetByLabel("Nerve entrapped").CheckAsync());
        await _interactions.Act(() => section.GetByLabel("Segment length").FillAsync("15"));
        await _interactions.Act(() => section.GetByLabel("Proximal stump buried in muscle").CheckAsync());
        await _interactions.Act(() => section.GetByRole(AriaRole.Group, new() { Name = "Specimen sent to pathology" }).GetByLabel("Yes").CheckAsync());
        await _interactions.CloseTheNoteAsync(page, "5", "Keep the wound dry for 48 hours", NoteAnswers.HoursAgo(3), NoteAnswers.HoursAgo(2));
        await SignAsync(page);
        output.WriteLine($"Interactions, first unilateral greater occipital neurectomy: {_interactions.Count}");
        Assert.True(_interactions.Count <= 25, $"{_interactions.Count} interactions");
        await page.Context.CloseAsync();

        // The next one: the case page offers the template with my usual (one click opens the note with it filled).
        page = await w.LaunchFromLauncherAsync("classic-left");
        _interactions.Reset();
        await _interactions.Act(() => page.GetByRole(AriaRole.Link, new() { Name = "Start the neurectomy note with my usual answers" }).ClickAsync());
        await Assertions.Expect(page.Locator("#usual-filled")).ToContainTextAsync("My usual filled");
        await Assertions.Expect(page.GetByLabel("Approach and incision")).ToHaveValueAsync("Transverse incision below the hairline");
        await Assertions.Expect(page.Locator("#w-incision .tag.usual")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#f-time-out")).Not.ToBeCheckedAsync();
        await Assertions.Expect(page.Locator("#f-gon-left-treated")).Not.ToBeCheckedAsync();
        await w.ShotAsync(page, "30-my-usual-filled");
        await ConsentAsync(page);
        await _interactions.Act(() => page.Locator("svg.nerve-map path.hit[data-nerve=treat-gon-left]").ClickAsync(new() { Force = true }));
        var left = page.Locator("#f-treat-gon-left");
        await Assertions.Expect(left.GetByLabel("Segment length")).ToHaveValueAsync("15");
        // Findings are this operation's: never filled, and not required to sign.
        await Assertions.Expect(left.GetByLabel("Nerve entrapped")).Not.ToBeCheckedAsync();
        await _interactions.Act(() => left.GetByLabel("Nerve entrapped").CheckAsync());
        await CloseWithUsualAsync(page);
        await CheckAndSignAsync(page);
        output.WriteLine($"Interactions, unilateral greater occipital neurectomy with My usual: {_interactions.Count}");
        Assert.True(_interactions.Count <= 12, $"{_interactions.Count} interactions");
    }

    [Fact]
    public async Task A_second_bilateral_radiofrequency_ablation_with_my_usual_takes_at_most_18_interactions()
    {
        var page = await w.LaunchFromLauncherAsync("bilateral");
        _interactions.Reset();
        await _interactions.Act(() => page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (coagulation)", Exact = true }).ClickAsync());
        await Assertions.Expect(page.Locator("#f-consent-obtained")).ToBeVisibleAsync();
        await ConsentAsync(page);
        await _interactions.Act(() => page.GetByLabel("Approach and incision").FillAsync("Percutaneous under fluoroscopy"));
        await _interactions.Act(() => page.Locator("svg.nerve-map path.hit[data-nerve=treat-gon-left]").ClickAsync(new() { Force = true }));
        var left = page.Locator("#f-treat-gon-left");
        await _interactions.Act(() => left.GetByLabel("Nerve thickened").CheckAsync());
        await _interactions.Act(() => left.GetByRole(AriaRole.Group, new() { Name = "Energy method" }).GetByLabel("Radiofrequency").CheckAsync());
        await _interactions.Act(() => left.GetByLabel("Radiofrequency temperature").FillAsync("80"));
        await _interactions.Act(() => left.GetByLabel("Lesion duration").FillAsync("90"));
        await _interactions.Act(() => left.GetByLabel("Number of lesions").FillAsync("2"));
        await _interactions.Act(() => page.Locator("#f-gon-right-treated").CheckAsync());
        await _interactions.Act(() => page.Locator("#f-treat-gon-right").GetByRole(AriaRole.Button, new() { Name = "Same as the left side" }).ClickAsync());
        await _interactions.CloseTheNoteAsync(page, "10", "Keep both sites dry for 24 hours", NoteAnswers.HoursAgo(3), NoteAnswers.HoursAgo(2));
        await SignAsync(page);
        output.WriteLine($"Interactions, first bilateral radiofrequency ablation: {_interactions.Count}");
        await page.Context.CloseAsync();

        // The next one: My usual on the note page itself.
        page = await w.LaunchFromLauncherAsync("bilateral");
        _interactions.Reset();
        await _interactions.Act(() => page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (coagulation)", Exact = true }).ClickAsync());
        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "My usual" }).ClickAsync());
        await Assertions.Expect(page.Locator("#usual-filled")).ToContainTextAsync("My usual filled");
        await ConsentAsync(page);
        await _interactions.Act(() => page.Locator("svg.nerve-map path.hit[data-nerve=treat-gon-left]").ClickAsync(new() { Force = true }));
        await _interactions.Act(() => page.Locator("#f-gon-right-treated").CheckAsync());
        foreach (var side in new[] { "#f-treat-gon-left", "#f-treat-gon-right" })
        {
            var group = page.Locator(side);
            await _interactions.Act(() => group.GetByLabel("Nerve thickened").CheckAsync());
            await Assertions.Expect(group.GetByRole(AriaRole.Group, new() { Name = "Energy method" }).GetByLabel("Radiofrequency")).ToBeCheckedAsync();
            await Assertions.Expect(group.GetByLabel("Radiofrequency temperature")).ToHaveValueAsync("80");
            await Assertions.Expect(group.GetByLabel("Number of lesions")).ToHaveValueAsync("2");
        }
        // The surgeon reviews the incision: touching it takes its "my usual" mark away.
        await Assertions.Expect(page.Locator("#w-incision .tag.usual")).ToBeVisibleAsync();
        await _interactions.Act(() => page.GetByLabel("Approach and incision").ClickAsync());
        await Assertions.Expect(page.Locator("#w-incision .tag.usual")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#w-plan-pain .tag.usual")).ToBeVisibleAsync();
        await CloseWithUsualAsync(page);
        await CheckAndSignAsync(page);
        output.WriteLine($"Interactions, bilateral radiofrequency ablation with My usual: {_interactions.Count}");
        Assert.True(_interactions.Count <= 18, $"{_interactions.Count} interactions");
    }

    private async Task ConsentAsync(IPage page)
    {
        await _interactions.Act(() => page.Locator("#f-consent-obtained").CheckAsync());
        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "Tick all the risks listed" }).ClickAsync());
    }

    /// <summary>What My usual never fills: the time-out, no complications, the blood loss and the times.</summary>
    private async Task CloseWithUsualAsync(IPage page)
    {
        await _interactions.Act(() => page.Locator("#f-time-out").CheckAsync());
        await _interactions.Act(() => page.GetByRole(AriaRole.Group, new() { Name = "Complications (or: no complications)" }).GetByLabel("No complications").CheckAsync());
        await _interactions.Act(() => page.GetByLabel("Estimated blood loss").FillAsync("5"));
        await _interactions.Act(() => page.GetByLabel("Start").FillAsync(NoteAnswers.HoursAgo(3)));
        await _interactions.Act(() => page.GetByLabel("End (required)").FillAsync(NoteAnswers.HoursAgo(2)));
    }

    /// <summary>Check and sign: the note as it will be filed on the confirm step, then the signed note's page once the EHR has it.</summary>
    private async Task CheckAndSignAsync(IPage page)
    {
        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "Check and sign" }).ClickAsync());
        await Assertions.Expect(page.Locator("pre.preview")).ToContainTextAsync("greater occipital", new() { IgnoreCase = true });
        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "Confirm and sign" }).ClickAsync());
        await Assertions.Expect(page.Locator("#status-h")).ToContainTextAsync("Written: filed in the EHR", new() { Timeout = 90_000 });
    }

    private async Task SignAsync(IPage page)
    {
        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync());
        await Assertions.Expect(page.Locator("#summary")).ToContainTextAsync("All checks passed");
        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "Sign and file the note" }).ClickAsync());
        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "Confirm and sign" }).ClickAsync());
        await Assertions.Expect(page.Locator("#sign-status")).ToContainTextAsync("Signed and filed in the EHR", new() { Timeout = 90_000 });
    }
}
