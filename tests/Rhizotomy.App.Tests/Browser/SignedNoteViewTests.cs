using System.Net.Http.Json;
using System.Text.RegularExpressions;
using DocumentReference = Hl7.Fhir.Model.DocumentReference;
using Microsoft.Playwright;
using Rhizotomy.App.Tests.WriteBack;
using Xunit.Abstractions;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Browser;

/// <summary>The signed-note page in a real browser: reached without script from the note form, linked from the script's result, printed.</summary>
[Collection("Browser")]
[Trait("Category", "Slow")]
public class SignedNoteViewTests(BrowserWorld w, ITestOutputHelper output) : IClassFixture<BrowserWorld>
{
    private static readonly Regex SignedNoteUrl = new("/s/[^/?]+/notes/rz-[0-9a-f]{24}$");
    private readonly Interactions _interactions = new();

    /// <summary>From the sandbox launcher to a fresh note form (not a resumed draft), with or without the page's script.</summary>
    private async Task<IPage> NoteFormAsync(bool script)
    {
        var page = await w.PageAsync(javaScriptEnabled: script);
        await page.GotoAsync(w.World.SandboxOrigin + "/launcher");
        await page.SelectOptionAsync("select[name=practitioner]", "surgeon-1");
        await page.SelectOptionAsync("select[name=app]", w.World.AppOrigin + "/launch");
        await page.Locator("tr:has(a[href='/launcher/patient/classic-left'])").GetByRole(AriaRole.Button, new() { Name = "Launch", Exact = true }).ClickAsync();
        await w.ArriveAsync(page, new Regex("^" + Regex.Escape(w.World.AppOrigin) + "/s/[^/?]+$"));
        var launchId = new Uri(page.Url).AbsolutePath.Split('/')[2];
        await page.GotoAsync($"{w.World.AppOrigin}/s/{launchId}/note?template=occipital-neurectomy&fresh=1");
        await Assertions.Expect(page.Locator("#f-consent-obtained")).ToBeVisibleAsync();
        return page;
    }

    private async Task FillAllButTheNerveAsync(IPage page)
    {
        await _interactions.Act(() => page.Locator("#f-consent-obtained").CheckAsync());
        var risks = page.GetByRole(AriaRole.Group, new() { Name = "Risks discussed" });
        await _interactions.Act(() => risks.GetByLabel("Infection").CheckAsync());
        await _interactions.Act(() => risks.GetByLabel("Bleeding").CheckAsync());
        await _interactions.Act(() => page.GetByLabel("Approach and incision").FillAsync("Transverse incision below the hairline"));
        await _interactions.Act(() => page.Locator("#f-gon-left-treated").CheckAsync());
        await _interactions.CloseTheNoteAsync(page, "5", "Keep the wound dry for 48 hours", NoteAnswers.HoursAgo(3), NoteAnswers.HoursAgo(2));
    }

    private async Task FillTheNerveAsync(IPage page)
    {
        var section = page.Locator("#f-treat-gon-left");
        await Assertions.Expect(section).ToBeVisibleAsync();
        await _interactions.Act(() => section.GetByLabel("Nerve entrapped").CheckAsync());
        await _interactions.Act(() => section.GetByLabel("Segment length").FillAsync("15"));
        await _interactions.Act(() => section.GetByLabel("Proximal stump buried in muscle").CheckAsync());
        await _interactions.Act(() => section.GetByRole(AriaRole.Group, new() { Name = "Specimen sent to pathology" }).GetByLabel("Yes").CheckAsync());
    }

    [Fact]
    public async Task Without_script_a_surgeon_checks_confirms_and_signs_and_lands_on_the_signed_note()
    {
        var page = await NoteFormAsync(script: false);
        Assert.Equal(0, await page.Locator("noscript").CountAsync());
        var noteId = await page.Locator("input[name=noteId]").InputValueAsync();
        _interactions.Reset();

        // Without script a branch opens on the round trip: the nerve's section comes back open after the first check.
        await FillAllButTheNerveAsync(page);
        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync());
        await Assertions.Expect(page.Locator("#summary")).ToBeVisibleAsync();
        await FillTheNerveAsync(page);
        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync());
        await Assertions.Expect(page.Locator("#summary")).ToContainTextAsync("All checks passed");
        await Assertions.Expect(page.Locator("pre.preview")).ToContainTextAsync("Left greater occipital neurectomy", new() { IgnoreCase = true });

        // Sign: the server answers the confirm step (the note as it will be filed, who signs it for whom).
        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "Sign and file the note" }).ClickAsync());
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Confirm and sign");
        await Assertions.Expect(page.Locator("#confirm-question")).ToContainTextAsync("Amelia Hart");
        await Assertions.Expect(page.Locator("pre.preview")).ToContainTextAsync("Left greater occipital neurectomy", new() { IgnoreCase = true });
        await w.ShotAsync(page, "10-no-script-confirm");

        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "Confirm and sign" }).ClickAsync());
        await page.WaitForURLAsync(SignedNoteUrl, new() { WaitUntil = WaitUntilState.Commit });
        Assert.EndsWith("/notes/" + noteId, page.Url);
        // Pending first on a busy machine: the page refreshes itself (no script) until the EHR has it.
        await Assertions.Expect(page.Locator("#note-status")).ToContainTextAsync("Written: filed in the EHR", new() { Timeout = 90_000 });
        await Assertions.Expect(page.Locator("#note-status")).ToContainTextAsync("DocumentReference/");
        await Assertions.Expect(page.Locator("pre.note-text")).ToContainTextAsync("Left greater occipital neurectomy", new() { IgnoreCase = true });
        // The Print button needs script; the browser's own print menu prints the same page.
        await Assertions.Expect(page.Locator("#print-note")).ToBeHiddenAsync();
        await w.ShotAsync(page, "11-no-script-signed-note");
        output.WriteLine($"Interactions without script for a unilateral greater occipital neurectomy (fresh form to signed note; one more check than with script): {_interactions.Count}");

        var chart = await SignedNotes.ChartAsync(w.World);
        Assert.Single(SignedNotes.Written<DocumentReference>(chart, noteId));
    }

    [Fact]
    public async Task Without_script_a_pending_note_says_why_and_refreshes_itself_until_the_ehr_has_it()
    {
        var page = await NoteFormAsync(script: false);
        var noteId = await page.Locator("input[name=noteId]").InputValueAsync();
        await FillAllButTheNerveAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync();
        await FillTheNerveAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync();
        await Assertions.Expect(page.Locator("#summary")).ToContainTextAsync("All checks passed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign and file the note" }).ClickAsync();

        // The EHR answers every write with 503 while the surgeon confirms.
        await SetFaultsAsync(new { rules = new object[] { new { kind = "503", rate = 1, method = "POST", path = "/fhir" } } });
        try
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Confirm and sign" }).ClickAsync();
            await page.WaitForURLAsync(SignedNoteUrl, new() { WaitUntil = WaitUntilState.Commit });
            var status = page.Locator("#note-status");
            await Assertions.Expect(status).ToContainTextAsync("Pending: will be sent");
            await Assertions.Expect(status).ToContainTextAsync("HTTP 503");
            await Assertions.Expect(status.GetByRole(AriaRole.Link, new() { Name = "Stop refreshing" })).ToBeVisibleAsync();
            await w.ShotAsync(page, "14-no-script-pending");

            // The same page of the same note for the surgeon's launch in a browser with script: axe reads it.
            var other = await NoteFormAsync(script: true);
            var otherLaunch = new Uri(other.Url).AbsolutePath.Split('/')[2];
            await other.GotoAsync($"{w.World.AppOrigin}/s/{otherLaunch}/notes/{noteId}?refresh=off");
            await Assertions.Expect(other.Locator("#note-status")).ToContainTextAsync("Pending: will be sent");
            var violations = await BrowserWorld.SeriousViolationsAsync(other.MainFrame);
            Assert.True(violations.Count == 0, string.Join("\n", violations));
            await other.Context.CloseAsync();
        }
        finally
        {
            await SetFaultsAsync(new { rules = Array.Empty<object>() });
        }
        // The world's app runs on a test clock: the sender's next attempt comes when the clock passes its back-off.
        w.World.Clock.Advance(TimeSpan.FromMinutes(2));

        // Nothing clicked: the page refreshes itself (no script) and says when the EHR has the note.
        await Assertions.Expect(page.Locator("#note-status")).ToContainTextAsync("Written: filed in the EHR", new() { Timeout = 120_000 });
        Assert.Single(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(w.World), noteId));
    }

    private async Task SetFaultsAsync(object faults)
    {
        using var http = new HttpClient();
        using var response = await http.PutAsJsonAsync(w.World.SandboxOrigin + "/admin/faults", faults);
        Assert.True(response.IsSuccessStatusCode, response.StatusCode.ToString());
    }

    [Fact]
    public async Task With_script_the_result_links_to_the_signed_note_which_passes_axe_and_prints_without_buttons()
    {
        var page = await NoteFormAsync(script: true);
        var popups = 0;
        page.Popup += (_, _) => popups++;
        _interactions.Reset();
        await FillAllButTheNerveAsync(page);
        await FillTheNerveAsync(page);
        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync());
        await Assertions.Expect(page.Locator("#summary")).ToContainTextAsync("All checks passed");

        // A detour (not counted): an answer changed after the preview hides Sign until the next check previews it.
        await page.GetByLabel("Return to activity").FillAsync("Light activity after ten days");
        await Assertions.Expect(page.Locator("#sign-start")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#preview-stale")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync();
        await Assertions.Expect(page.Locator("#summary")).ToContainTextAsync("All checks passed");
        await Assertions.Expect(page.Locator("pre.preview")).ToContainTextAsync("Light activity after ten days");
        await Assertions.Expect(page.Locator("#preview-stale")).ToBeHiddenAsync();

        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "Sign and file the note" }).ClickAsync());
        // The script keeps its own confirm step: the click did not post the form.
        await Assertions.Expect(page.Locator("#sign-confirm-yes")).ToBeFocusedAsync();
        await _interactions.Act(() => page.GetByRole(AriaRole.Button, new() { Name = "Confirm and sign" }).ClickAsync());
        var status = page.Locator("#sign-status");
        await Assertions.Expect(status).ToContainTextAsync("Signed and filed in the EHR", new() { Timeout = 90_000 });
        await Assertions.Expect(status).ToContainTextAsync("DocumentReference/");
        output.WriteLine($"Interactions with script (fresh form to signed and filed): {_interactions.Count}");
        var open = status.GetByRole(AriaRole.Link, new() { Name = "Open the signed note / print" });
        await Assertions.Expect(open).ToBeVisibleAsync();

        await open.ClickAsync();
        await page.WaitForURLAsync(SignedNoteUrl, new() { WaitUntil = WaitUntilState.Commit });
        await Assertions.Expect(page.Locator("#note-status")).ToContainTextAsync("Written: filed in the EHR");
        await Assertions.Expect(page.Locator("dl.facts")).ToContainTextAsync("Amelia Hart");
        await Assertions.Expect(page.Locator("pre.note-text")).ToContainTextAsync("Light activity after ten days");
        var print = page.GetByRole(AriaRole.Button, new() { Name = "Print the note" });
        await Assertions.Expect(print).ToBeVisibleAsync();
        await w.ShotAsync(page, "12-signed-note");
        var violations = await BrowserWorld.SeriousViolationsAsync(page.MainFrame);
        Assert.True(violations.Count == 0, string.Join("\n", violations));

        // Printed: the note alone, black on white, no buttons or links to click.
        await page.EmulateMediaAsync(new() { Media = Media.Print });
        await Assertions.Expect(print).ToBeHiddenAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Back to the case page" })).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("pre.note-text")).ToBeVisibleAsync();
        Assert.Equal("rgb(255, 255, 255)", await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));
        Assert.Equal("rgb(0, 0, 0)", await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('pre.note-text')).color"));
        await w.ShotAsync(page, "13-signed-note-print");
        var pdf = await page.PdfAsync(new() { Path = Path.Combine(w.Screenshots, "13-signed-note.pdf"), Format = "A4" });
        output.WriteLine($"Printed signed note: {pdf.Length} bytes of PDF");
        await page.EmulateMediaAsync(new() { Media = Media.Screen });
        await Assertions.Expect(print).ToBeVisibleAsync();
        Assert.Equal(0, popups);
    }
}
