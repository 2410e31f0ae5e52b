using System.Net;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Rhizotomy.App.Tests.Form;
using Rhizotomy.App.WriteBack;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.WriteBack;

/// <summary>A launched browser that can also look at a redirect instead of following it (same cookie jar).</summary>
public sealed class PageBrowser : IDisposable
{
    private readonly CookieContainer _cookies = new();

    private PageBrowser(SmartWorld world)
    {
        World = world;
        Follow = new HttpClient(new HttpClientHandler { CookieContainer = _cookies, UseCookies = true }) { Timeout = TimeSpan.FromSeconds(90) };
        NoFollow = new HttpClient(new HttpClientHandler { CookieContainer = _cookies, UseCookies = true, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(90) };
    }

    public SmartWorld World { get; }
    public HttpClient Follow { get; }
    public HttpClient NoFollow { get; }
    public string LaunchId { get; private set; } = "";

    public static async Task<PageBrowser> LaunchAsync(SmartWorld world, string practitioner = "test-surgeon")
    {
        var browser = new PageBrowser(world);
        using var page = await browser.Follow.GetAsync(world.LaunchUrl("test-classic-left", practitioner, "test-classic-left-surgery"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        browser.LaunchId = page.RequestMessage!.RequestUri!.AbsolutePath.Split('/')[2];
        return browser;
    }

    public Uri Url(string path) => new(World.AppOrigin + path);

    public async Task<HtmlForm> OpenNoteAsync()
    {
        using var page = await Follow.GetAsync(Url($"/s/{LaunchId}/note?template=occipital-neurectomy&fresh=1"));
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, html);
        return new HtmlForm(html);
    }

    public async Task<(HttpStatusCode Status, string Html, Uri? Location)> PostAsync(HtmlForm form, string action)
    {
        using var response = await NoFollow.PostAsync(Url(form.Action), form.Content(action));
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location);
    }

    public async Task<(HttpStatusCode Status, string Html)> GetAsync(string path)
    {
        using var response = await Follow.GetAsync(Url(path));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public void Dispose()
    {
        Follow.Dispose();
        NoFollow.Dispose();
    }
}

[Trait("Category", "Slow")]
[Collection(EhrWorldsCollection.Name)]
public class SignedNotePageTests(EhrWorlds worlds)
{
    /// <summary>The note's text as the page shows it (its <c>pre.note-text</c>).</summary>
    public static string NoteText(string html) => Html.Text(html, "pre.note-text") ?? "";

    [Fact]
    public async Task Signing_without_script_confirms_then_files_once_even_when_the_confirm_is_posted_again()
    {
        var world = await worlds.FullAsync();
        using var browser = await PageBrowser.LaunchAsync(world);
        var form = NotePageTests.FillLeftGreaterOccipitalNeurectomy(await browser.OpenNoteAsync());
        var noteId = form.Values("noteId").Single();

        // Sign: the server checks and answers the confirm step; nothing is filed yet.
        var (status, confirmHtml, _) = await browser.PostAsync(form, "sign");
        Assert.True(status == HttpStatusCode.OK, confirmHtml);
        Assert.Contains("<h1>Confirm and sign</h1>", confirmHtml);
        Assert.Contains("Sign this note as <strong>Dr Sam Cutter</strong>", confirmHtml);
        Assert.StartsWith("LEFT GREATER OCCIPITAL NEURECTOMY", Html.Text(confirmHtml, "pre.preview"), StringComparison.Ordinal);
        Assert.Empty(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(world), noteId));

        // Confirm: 303 to the signed-note page, whatever the number of times it is posted.
        var confirm = new HtmlForm(confirmHtml);
        var pagePath = $"/s/{browser.LaunchId}/notes/{noteId}";
        var answers = new List<(HttpStatusCode Status, string Html, Uri? Location)> { await browser.PostAsync(confirm, "confirm-sign") };
        answers.AddRange(await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => browser.PostAsync(confirm, "confirm-sign"))));
        answers.Add(await browser.PostAsync(confirm, "confirm-sign"));
        foreach (var answer in answers)
        {
            Assert.True(answer.Status == HttpStatusCode.SeeOther, answer.Status + ": " + answer.Html);
            Assert.Equal(pagePath, answer.Location?.ToString());
        }

        var chart = await SignedNotes.ChartAsync(world);
        var document = Assert.Single(SignedNotes.Written<DocumentReference>(chart, noteId));
        Assert.Single(SignedNotes.Written<Composition>(chart, noteId));
        Assert.Single(SignedNotes.Written<Procedure>(chart, noteId));

        // The page: written, with what the EHR holds, who and when, and the text the DocumentReference carries, to the character.
        var written = await WaitForAsync(browser, pagePath, "Written: filed in the EHR");
        Assert.Contains("DocumentReference/" + document.Id, written);
        Assert.True(written.Contains("Alex Testperson", StringComparison.Ordinal), written);
        var writtenPage = Html.Parse(written);
        Assert.Matches("^\\d{4}-\\d{2}-\\d{2}$", Html.Definition(writtenPage, "Birth date"));
        Assert.Equal("Dr Sam Cutter", Html.Definition(writtenPage, "Signed by"));
        Assert.DoesNotContain("Stop refreshing", written);
        var filed = document.Content.Single(c => c.Attachment!.ContentType!.StartsWith("text/plain", StringComparison.Ordinal)).Attachment!.Data!;
        Assert.Equal(System.Text.Encoding.UTF8.GetString(filed), NoteText(written));
        // Printable: the print stylesheet, and the Print button only with script.
        var printSheet = Assert.Single(writtenPage.QuerySelectorAll("link[media=print]")).GetAttribute("href");
        Assert.Matches("^/signed-note-print\\.[a-z0-9]+\\.css$", printSheet);
        var printButton = writtenPage.GetElementById("print-note");
        Assert.True(printButton is { LocalName: "button" } && printButton.GetAttribute("type") == "button" && printButton.HasAttribute("hidden"), printButton?.OuterHtml);
        Assert.Equal("Print the note", printButton!.TextContent);
        var print = await browser.Follow.GetStringAsync(browser.Url(printSheet!));
        Assert.Contains("@media print", print);
        // The signed note is no longer offered as a draft (the form opens on another note).
        Assert.DoesNotContain(noteId, (await browser.GetAsync($"/s/{browser.LaunchId}/note?template=occipital-neurectomy")).Html);
    }

    [Fact]
    public async Task Signing_an_incomplete_note_without_script_is_refused_with_the_messages_and_nothing_is_filed()
    {
        var world = await worlds.FullAsync();
        using var browser = await PageBrowser.LaunchAsync(world);
        var form = NotePageTests.FillLeftGreaterOccipitalNeurectomy(await browser.OpenNoteAsync());
        form.Set("gon-left-segment-length").Set("estimated-blood-loss", "a lot");
        var noteId = form.Values("noteId").Single();

        foreach (var action in new[] { "sign", "confirm-sign" })
        {
            var (status, html, location) = await browser.PostAsync(form, action);
            Assert.True(status == HttpStatusCode.UnprocessableEntity, status + ": " + html);
            Assert.Null(location);
            // The form again, with what was typed and each message at its field.
            Assert.Contains("problems stop signing", html);
            Assert.Contains("segment length is missing", html);
            Assert.NotNull(Html.Parse(html).GetElementById("m-gon-left-segment-length"));
            Assert.Equal(["a lot"], new HtmlForm(html).Values("estimated-blood-loss"));
            Assert.DoesNotContain("Confirm and sign", html);
            Assert.DoesNotContain("id=\"sign-start\"", html);
        }

        Assert.Null(await world.App.Services.GetRequiredService<Outbox>().FindAsync(noteId, CancellationToken.None));
        Assert.Empty(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(world), noteId));
        var (missing, page) = await browser.GetAsync($"/s/{browser.LaunchId}/notes/{noteId}");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Contains("What to do", page);
    }

    [Fact]
    public async Task Only_a_launch_of_the_signing_surgeon_in_its_own_browser_opens_the_signed_note()
    {
        var world = await worlds.FullAsync();
        using var tab = await SurgeonTab.LaunchAsync(world);
        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("seen-note"));
        Assert.Equal("written", (await SurgeonTab.FinalAsync(tab, signed)).GetProperty("status").GetString());
        var pagePath = $"/s/{tab.LaunchId}/notes/seen-note";
        using (var own = await tab.Browser.GetAsync(new Uri(world.AppOrigin + pagePath)))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
            Assert.Contains("Written: filed in the EHR", await own.Content.ReadAsStringAsync());
        }

        // Another browser with that launch's address: the launch is not its own.
        using var stranger = await PageBrowser.LaunchAsync(world);
        var (status, html) = await stranger.GetAsync(pagePath);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("Your session has ended", html);
        Assert.DoesNotContain("Alex Testperson", html);

        // Another surgeon's launch, its own address: the note is not theirs (the same page as a note that does not exist).
        using var colleague = await PageBrowser.LaunchAsync(world, practitioner: "surgeon-2");
        (status, html) = await colleague.GetAsync($"/s/{colleague.LaunchId}/notes/seen-note");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("No such note", html);
        Assert.DoesNotContain("LEFT GREATER OCCIPITAL NEURECTOMY", html);
        (status, var none) = await colleague.GetAsync($"/s/{colleague.LaunchId}/notes/no-such-note");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(WithoutTitle(html), WithoutTitle(none));

        // No cookie at all.
        using var bare = new HttpClient();
        using var anonymous = await bare.GetAsync(world.AppOrigin + pagePath);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }


    /// <summary>The page's markup without its title (the one part that names the note asked for).</summary>
    private static string WithoutTitle(string html)
    {
        var page = Html.Parse(html);
        page.QuerySelector("title")?.Remove();
        return page.DocumentElement.OuterHtml;
    }

    private static async Task<string> WaitForAsync(PageBrowser browser, string path, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var (status, html) = await browser.GetAsync(path);
            Assert.True(status == HttpStatusCode.OK, status + ": " + html);
            if (html.Contains(text, StringComparison.Ordinal))
                return html;
            Assert.True(DateTime.UtcNow < deadline, $"the page never said \"{text}\": {html}");
            await Task.Delay(200);
        }
    }
}

/// <summary>The signed-note page of notes the EHR has not taken (yet).</summary>
[Trait("Category", "Slow")]
[Collection(EhrWorldsCollection.Name)]
public class SignedNoteStatusPageTests(EhrWorlds worlds)
{
    private static string NoteText(string html) => SignedNotePageTests.NoteText(html);

    [Fact]
    public async Task A_pending_note_shows_why_and_what_happens_next_and_refreshes_itself_until_written()
    {
        // Its EHR fails every write until the test clears the faults: a world of its own.
        await using var world = await SigningTests.WorldAsync("full", more: o =>
        {
            ResilienceTests.WritesFail(o);
            o.App["App:WriteBack:InlineWaitMs"] = "300";
        });
        using var tab = await SurgeonTab.LaunchAsync(world);
        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("pending-note"));
        Assert.Equal(HttpStatusCode.Accepted, signed.StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while ((await tab.StatusAsync("pending-note")).GetProperty("reason").ValueKind != System.Text.Json.JsonValueKind.String)
        {
            Assert.True(DateTime.UtcNow < deadline, "no failed attempt recorded");
            await Task.Delay(100);
        }

        var pagePath = $"/s/{tab.LaunchId}/notes/pending-note";
        using (var page = await tab.Browser.GetAsync(new Uri(world.AppOrigin + pagePath)))
        {
            var html = await page.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("Pending: will be sent", html);
            // Plain words for the surgeon; the status code stays in brackets for the EHR team.
            Assert.Contains("<strong>Reason:</strong> The EHR is not answering at the moment (HTTP 503); the app keeps trying.", html);
            Assert.Contains("the app keeps sending it until the EHR accepts it", html);
            Assert.Equal(SignedNotePage.RefreshSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), Assert.Single(page.Headers.GetValues("Refresh")));
            Assert.Contains("Stop refreshing", html);
            // The text to be filed is already there, exactly as the DocumentReference will carry it.
            Assert.StartsWith("LEFT GREATER OCCIPITAL NEURECTOMY", NoteText(html));
        }
        using (var still = await tab.Browser.GetAsync(new Uri(world.AppOrigin + pagePath + "?refresh=off")))
        {
            Assert.False(still.Headers.Contains("Refresh"));
            Assert.Contains("Pending: will be sent", await still.Content.ReadAsStringAsync());
        }

        await ResilienceTests.ClearFaultsAsync(world);
        await tab.SettledAsync("pending-note", until: "written");
        using var done = await tab.Browser.GetAsync(new Uri(world.AppOrigin + pagePath));
        var doneHtml = await done.Content.ReadAsStringAsync();
        Assert.Contains("Written: filed in the EHR", doneHtml);
        Assert.False(done.Headers.Contains("Refresh"));
    }

    [Fact]
    public async Task A_note_the_ehr_refused_shows_the_reason_and_the_next_step()
    {
        // Configuration that breaks the EHR's rule (HTML content to an EHR that takes plain text only).
        var world = await worlds.EpicLikeRefusingAsync();
        using var tab = await SurgeonTab.LaunchAsync(world);
        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("refused-page-note"));
        Assert.Equal("failed", (await SurgeonTab.FinalAsync(tab, signed)).GetProperty("status").GetString());

        using var page = await tab.Browser.GetAsync(new Uri(world.AppOrigin + $"/s/{tab.LaunchId}/notes/refused-page-note"));
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Failed: the EHR refused the note", html);
        Assert.Contains("<strong>Reason:</strong> The EHR found that the note does not meet its rules (HTTP 422).", html);
        Assert.Contains("text/plain", html);
        Assert.Contains("What to do:", html);
        Assert.False(page.Headers.Contains("Refresh"));
    }
}
