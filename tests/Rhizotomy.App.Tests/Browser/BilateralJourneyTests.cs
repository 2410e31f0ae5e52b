using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Rhizotomy.App.Tests.Browser;

/// <summary>
/// The bilateral coagulation in a real browser, from the sandbox EHR's launcher to a signed note and back to the
/// sandbox's chart, where the written resources must show; with the signing preview saved as the README's picture.
/// </summary>
[Collection("Browser")]
[Trait("Category", "Slow")]
public class BilateralJourneyTests(BrowserWorld w, ITestOutputHelper output) : IClassFixture<BrowserWorld>
{
    private readonly Interactions _interactions = new();

    [Fact]
    public async Task A_surgeon_documents_a_bilateral_greater_occipital_coagulation_copies_one_side_to_the_other_signs_it_and_the_sandbox_chart_shows_what_was_written()
    {
        // The first launch of a fresh app pays for first discovery and JWKS (and JIT when the test process is new); later launches do not: both are reported.
        var cold = await LaunchMeasuredAsync("bilateral", "first launch in this test world");
        await cold.Context.CloseAsync();
        // 1000 px: the preview screenshot for the README is between 800 and 1100 px wide (evidence below the form).
        var page = await LaunchMeasuredAsync("bilateral", "a later launch");
        await BrowserWorld.DiscardDraftAsync(page.MainFrame);

        // Evidence shown: both diagnostic blocks of the greater occipital nerves.
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Case for occipital nerve rhizotomy" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("90% relief for 5 days").First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("85% relief for 4 days").First).ToBeVisibleAsync();
        await w.ShotAsync(page, "20-bilateral-evidence");

        _interactions.Reset();
        await _interactions.Act(() => page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (coagulation)" }).ClickAsync());
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("coagulation");
        await Assertions.Expect(page.Locator(".tag.chart").First).ToBeVisibleAsync();

        await _interactions.Act(() => page.Locator("#f-consent-obtained").CheckAsync());
        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "Tick all the risks listed" }).ClickAsync());
        await _interactions.Act(() => page.GetByLabel("Approach and incision").FillAsync("Two paramedian incisions below the hairline"));

        // Both greater occipital nerves: the left on the picture, the right with its tick box.
        await _interactions.Act(() => page.Locator("svg.nerve-map path.hit[data-nerve=treat-gon-left]").ClickAsync(new() { Force = true }));
        await _interactions.Act(() => page.Locator("#f-gon-right-treated").CheckAsync());
        await Assertions.Expect(page.Locator("#nerves-selected")).ToHaveTextAsync("Selected: Left greater occipital nerve; Right greater occipital nerve.");
        await Assertions.Expect(page.Locator("svg.nerve-map path.nerve.selected.warn")).ToHaveCountAsync(0);

        // The left side in full: coagulation is the template's technique (marked "default"), radiofrequency with its settings.
        var left = page.Locator("#f-treat-gon-left");
        await Assertions.Expect(left.Locator(".tag.default")).ToBeVisibleAsync();
        await _interactions.Act(() => left.GetByLabel("Nerve thickened").CheckAsync());
        await _interactions.Act(() => left.GetByRole(AriaRole.Group, new() { Name = "Energy method" }).GetByLabel("Radiofrequency").CheckAsync());
        await _interactions.Act(() => left.GetByLabel("Radiofrequency temperature").FillAsync("80"));
        await _interactions.Act(() => left.GetByLabel("Lesion duration").FillAsync("90"));
        await _interactions.Act(() => left.GetByLabel("Number of lesions").FillAsync("2"));

        // The right side: one click copies technique and details from the left.
        var right = page.Locator("#f-treat-gon-right");
        await _interactions.Act(() => right.GetByRole(AriaRole.Button, new() { Name = "Same as the left side" }).ClickAsync());
        await Assertions.Expect(page.Locator("#f-gon-right-treated")).ToBeCheckedAsync();
        await Assertions.Expect(right.GetByLabel("Nerve thickened")).ToBeCheckedAsync();
        await Assertions.Expect(right.GetByRole(AriaRole.Group, new() { Name = "Energy method" }).GetByLabel("Radiofrequency")).ToBeCheckedAsync();
        await Assertions.Expect(right.GetByLabel("Radiofrequency temperature")).ToHaveValueAsync("80");
        await Assertions.Expect(right.GetByLabel("Lesion duration")).ToHaveValueAsync("90");
        await Assertions.Expect(right.GetByLabel("Number of lesions")).ToHaveValueAsync("2");
        // The copy was a round trip: what was typed before it is still there.
        await Assertions.Expect(page.GetByLabel("Approach and incision")).ToHaveValueAsync("Two paramedian incisions below the hairline");
        await w.ShotAsync(page, "21-bilateral-copied");

        await _interactions.CloseTheNoteAsync(page, "10", "Keep both wounds dry for 48 hours", NoteAnswers.HoursAgo(3), NoteAnswers.HoursAgo(2));
        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync());

        await Assertions.Expect(page.Locator("#summary")).ToContainTextAsync("All checks passed");
        var preview = page.Locator("pre.preview");
        await Assertions.Expect(preview).ToContainTextAsync("Left greater occipital nerve", new() { IgnoreCase = true });
        await Assertions.Expect(preview).ToContainTextAsync("Right greater occipital nerve", new() { IgnoreCase = true });
        await Assertions.Expect(preview).ToContainTextAsync("radiofrequency", new() { IgnoreCase = true });
        var previewText = await preview.TextContentAsync();

        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "Sign and file the note" }).ClickAsync());
        await Assertions.Expect(page.Locator("#sign-confirm")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#sign-confirm")).ToContainTextAsync("Sign this note as");
        var signing = page.Locator("section.signing");
        await signing.ScrollIntoViewIfNeededAsync();
        var box = await signing.BoundingBoxAsync();
        Assert.NotNull(box);
        var previewShot = Path.Combine(w.Screenshots, "22-signing-preview.png");
        // The section with a little of the page around it (the README's picture), in page coordinates.
        var scroll = await page.EvaluateAsync<float[]>("() => [scrollX, scrollY]");
        await page.ScreenshotAsync(new()
        {
            Path = previewShot,
            FullPage = true,
            Clip = new() { X = Math.Max(0f, box.X + scroll[0] - 12), Y = Math.Max(0f, box.Y + scroll[1] - 12), Width = box.Width + 24, Height = box.Height + 24 },
        });
        output.WriteLine($"Signing preview screenshot: {previewShot} ({box.Width + 24:0} x {box.Height + 24:0} px, {new FileInfo(previewShot).Length / 1024} KB)");
        Assert.InRange(box.Width, 800, 1100);
        Assert.Empty(await BrowserWorld.SeriousViolationsAsync(page.MainFrame));

        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "Confirm and sign" }).ClickAsync());
        var status = page.Locator("#sign-status");
        await Assertions.Expect(status).ToContainTextAsync("Signed and filed in the EHR", new() { Timeout = 90_000 });
        await Assertions.Expect(status).ToContainTextAsync("DocumentReference/");
        await w.ShotAsync(page, "23-bilateral-signed");
        output.WriteLine($"Interactions for a bilateral greater occipital coagulation (open the note to signed and filed): {_interactions.Count}");
        Assert.True(_interactions.Count <= 30, $"{_interactions.Count} interactions");
        Assert.Empty(await BrowserWorld.SeriousViolationsAsync(page.MainFrame));

        // Written resources visible in the sandbox: its chart view of the patient, in the same browser.
        var written = Regex.Matches(await status.InnerTextAsync(), @"(DocumentReference|Procedure|Composition)/[A-Za-z0-9\-\.]+").Select(m => m.Value).ToList();
        var document = Assert.Single(written, r => r.StartsWith("DocumentReference/", StringComparison.Ordinal));
        await page.GotoAsync(w.World.SandboxOrigin + "/launcher/patient/bilateral");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Okonkwo");
        var documentEntry = page.Locator("li", new() { Has = page.Locator("small", new() { HasTextString = document }) });
        await Assertions.Expect(documentEntry).ToContainTextAsync("Surgical operation note", new() { IgnoreCase = true });
        await Assertions.Expect(documentEntry.Locator("pre")).ToContainTextAsync("Left greater occipital nerve", new() { IgnoreCase = true });
        await Assertions.Expect(documentEntry.Locator("pre")).ToContainTextAsync("Right greater occipital nerve", new() { IgnoreCase = true });
        await Assertions.Expect(documentEntry.Locator("pre")).ToContainTextAsync("Two paramedian incisions below the hairline");
        // The preview was the note exactly as the EHR shows it: the filed text is the previewed text and its signature line.
        var filed = await documentEntry.Locator("pre").TextContentAsync();
        Assert.StartsWith(previewText!.TrimEnd(), filed, StringComparison.Ordinal);
        Assert.Contains("Surgeon: Dr. Amelia Hart", filed, StringComparison.Ordinal);
        // Whom it is about, in words a reader checks: the name with the birth date, and the encounter.
        Assert.Contains("Patient: Daniel Okonkwo, born 1971-09-30", filed, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"\nEncounter: \S"), filed);
        await Assertions.Expect(page.Locator("li", new() { HasTextString = "Filled template" })).ToContainTextAsync("Completed");
        foreach (var reference in written.Where(r => r != document))
            await Assertions.Expect(page.Locator("small", new() { HasTextString = reference })).ToHaveCountAsync(1);
        var procedures = page.Locator("li", new() { Has = page.Locator("small", new() { HasTextRegex = new Regex("^Procedure/") }) })
            .Filter(new() { HasTextRegex = new Regex("radiofrequency ablation|coagulation", RegexOptions.IgnoreCase) });
        await Assertions.Expect(procedures.Filter(new() { HasTextString = "Left" })).Not.ToHaveCountAsync(0);
        await Assertions.Expect(procedures.Filter(new() { HasTextString = "Right" })).Not.ToHaveCountAsync(0);
        await w.ShotAsync(page, "24-bilateral-sandbox-chart");
    }

    /// <summary>A launch from the sandbox launcher in a 1000 px page, with the callback-to-first-page time reported.</summary>
    private async Task<IPage> LaunchMeasuredAsync(string patientId, string which)
    {
        var page = await w.PageAsync(1000, 1000);
        IRequest? callback = null;
        long callbackHeardAt = 0;
        page.Request += (_, request) =>
        {
            if (new Uri(request.Url).AbsolutePath == "/callback")
            {
                callbackHeardAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                callback = request;
            }
        };
        await page.AddInitScriptAsync("document.addEventListener('DOMContentLoaded', () => { window.__ready = Date.now(); });");
        await page.GotoAsync(w.World.SandboxOrigin + "/launcher");
        await page.SelectOptionAsync("select[name=practitioner]", "surgeon-1");
        await page.SelectOptionAsync("select[name=app]", w.World.AppOrigin + "/launch");
        await page.Locator($"tr:has(a[href='/launcher/patient/{patientId}'])").GetByRole(AriaRole.Button, new() { Name = "Launch", Exact = true }).ClickAsync();
        await w.ArriveAsync(page, new Regex("^" + Regex.Escape(w.World.AppOrigin) + "/s/[^/?]+$"));
        await ReportFirstPageTimingAsync(page, callback, callbackHeardAt, which);
        return page;
    }

    /// <summary>
    /// "First page interactive within 1 s of the callback" (reported, never asserted): from the browser's request to
    /// /callback to the case page's DOMContentLoaded, as the sum of what the browser measured: the callback's request to
    /// its response (a redirect), the case page's request to its last byte, then the page's own clock to DOMContentLoaded.
    /// (Playwright's absolute request start times are single-precision epoch milliseconds, too coarse to subtract.)
    /// A cross-check on the machine's wall clock: when the test heard of the callback request to the page's Date.now() at DOMContentLoaded.
    /// </summary>
    private async Task ReportFirstPageTimingAsync(IPage page, IRequest? callback, long callbackHeardAt, string which)
    {
        Assert.NotNull(callback);
        var casePage = callback.RedirectedTo;
        Assert.NotNull(casePage);
        await page.WaitForLoadStateAsync(LoadState.Load);
        var times = await page.EvaluateAsync<double[]>(
            "() => { const n = performance.getEntriesByType('navigation')[0]; return [n.domContentLoadedEventEnd - n.responseEnd, n.loadEventEnd - n.responseEnd, window.__ready || 0]; }");
        var callbackTime = callback.Timing.ResponseEnd;
        var casePageTime = casePage.Timing.ResponseEnd;
        var total = callbackTime + casePageTime + times[0];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Callback request to the case page's DOMContentLoaded, {which}: {total:0} ms (callback {callbackTime:0} ms, case page {casePageTime:0} ms, "
            + $"last byte to DOMContentLoaded {times[0]:0} ms); to its load event {callbackTime + casePageTime + times[1]:0} ms; wall-clock cross-check {times[2] - callbackHeardAt:0} ms"));
        Assert.True(callbackTime > 0 && casePageTime > 0 && times[0] >= 0, "the browser did not time the launch");
    }
}
