using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Microsoft.Extensions.DependencyInjection;
using Sandbox.Ehr.Fhir.Faults;
using Xunit.Abstractions;

namespace Rhizotomy.App.Tests.Browser;

/// <summary>What a failure page must be, whatever went wrong: plain words, the next step, the right status, nothing internal, accessible.</summary>
internal static class FailurePage
{
    // What must never reach the surgeon: a stack trace, an exception, a type or host name, a token, a FHIR path.
    private static readonly string[] Leaks =
        ["Exception", "stack", "   at ", "System.", "Microsoft.", "Rhizotomy.", "Sandbox.", "127.0.0.1", "localhost", "Bearer", "token=", "/fhir", "HTTP 5"];

    public static async Task AssertAsync(BrowserWorld w, IPage page, IResponse response, int status, string heading, string nextStep, string shot)
    {
        Assert.Equal(status, response.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync(heading);
        var next = page.Locator("main p.next");
        await Assertions.Expect(next).ToContainTextAsync("What to do:");
        await Assertions.Expect(next).ToContainTextAsync(nextStep);
        var text = await page.Locator("body").InnerTextAsync();
        foreach (var leak in Leaks)
            Assert.DoesNotContain(leak, text, StringComparison.OrdinalIgnoreCase);
        // One shared page: no form, no script, nothing to click that could go wrong again.
        Assert.Equal(0, await page.Locator("form, script").CountAsync());
        await w.ShotAsync(page, shot);
        Assert.Empty(await BrowserWorld.SeriousViolationsAsync(page.MainFrame));
    }

    /// <summary>Runs <paramref name="action"/> and returns the app's answer to the navigation it causes (the page the surgeon ends on).</summary>
    public static Task<IResponse> AnswerAsync(IPage page, string appOrigin, string path, Func<Task> action) =>
        page.RunAndWaitForResponseAsync(action, r => r.Url.StartsWith(appOrigin + path, StringComparison.Ordinal) && r.Request.IsNavigationRequest);

    /// <summary>Fills the left greater occipital neurectomy so that every check passes (the journey test's answers).</summary>
    public static async Task FillCleanLeftNeurectomyAsync(IPage page)
    {
        await page.Locator("#f-consent-obtained").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Tick all the risks listed" }).ClickAsync();
        await page.GetByLabel("Approach and incision").FillAsync("Transverse incision below the hairline");
        await page.Locator("#f-gon-left-treated").CheckAsync();
        var section = page.Locator("#f-treat-gon-left");
        await Assertions.Expect(section).ToBeVisibleAsync();
        await section.GetByLabel("Nerve entrapped").CheckAsync();
        await section.GetByLabel("Segment length").FillAsync("15");
        await section.GetByLabel("Proximal stump buried in muscle").CheckAsync();
        await section.GetByRole(AriaRole.Group, new() { Name = "Specimen sent to pathology" }).GetByLabel("Yes").CheckAsync();
        await new Interactions().CloseTheNoteAsync(page, "5", "Keep the wound dry for 48 hours", NoteAnswers.HoursAgo(3), NoteAnswers.HoursAgo(2));
    }

    public static Regex AppPage(string appOrigin) => new("^" + Regex.Escape(appOrigin) + "/s/[^/?]+$");
}

/// <summary>
/// Every failure a surgeon can meet with the sandbox as it usually runs (consent given by the EHR), in a real
/// browser: an unknown EHR, the EHR down during the launch (chart reads, token endpoint) and after it, an ended
/// session; and the patient banner with and without <c>need_patient_banner</c>.
/// </summary>
/// <summary>The usual sandbox, and a second EHR the app is registered with that is down (nothing listens at its address).</summary>
public sealed class FailureBrowserWorld : BrowserWorld
{
    public const string DownIssuer = "http://127.0.0.1:1/fhir";

    protected override SmartWorld.Options? WorldOptions
    {
        get
        {
            var options = new SmartWorld.Options();
            options.App["App:Ehrs:1:Issuer"] = DownIssuer;
            options.App["App:Ehrs:1:ClientId"] = "rhizotomy-at-the-down-ehr";
            options.App["App:Ehrs:1:Custodian"] = "Organization/down-hospital";
            return options;
        }
    }
}

[Collection("Browser")]
[Trait("Category", "Slow")]
public class FailurePagesTests(FailureBrowserWorld w, ITestOutputHelper output) : IClassFixture<FailureBrowserWorld>
{
    private static readonly string[] ChartTypes =
        ["Patient", "Practitioner", "Encounter", "Condition", "Procedure", "MedicationRequest", "MedicationStatement", "DiagnosticReport", "Observation"];

    /// <summary>Sets the sandbox's fault knobs through its admin endpoint (<c>PUT /admin/faults</c>), as an operator would.</summary>
    private async Task FaultsAsync(params FaultRule[] rules)
    {
        using var http = new HttpClient();
        using var put = await http.PutAsJsonAsync(w.World.SandboxOrigin + "/admin/faults", new FaultSettings { Rules = [.. rules] });
        put.EnsureSuccessStatusCode();
    }

    private async Task<IPage> LaunchInTheEncounterAsync(string patientId, bool ehrShowsBanner)
    {
        var page = await w.PageAsync();
        await page.GotoAsync(w.World.SandboxOrigin + "/launcher");
        await page.SelectOptionAsync("select[name=practitioner]", "surgeon-1");
        await page.SelectOptionAsync("select[name=app]", w.World.AppOrigin + "/launch");
        if (ehrShowsBanner)
            await page.GetByLabel("EHR shows the patient banner").CheckAsync();
        await page.Locator($"tr:has(a[href='/launcher/patient/{patientId}']) button[name=encounter]").First.ClickAsync();
        await w.ArriveAsync(page, FailurePage.AppPage(w.World.AppOrigin));
        await BrowserWorld.DiscardDraftAsync(page.MainFrame);
        return page;
    }

    [Fact]
    public async Task A_launch_from_an_ehr_the_app_does_not_know_gets_a_plain_page_with_the_next_step()
    {
        var page = await w.PageAsync();
        var requests = new List<string>();
        page.Request += (_, r) => requests.Add(new Uri(r.Url).GetLeftPart(UriPartial.Authority));
        var response = await page.GotoAsync(w.World.AppOrigin + "/launch?iss=" + Uri.EscapeDataString("https://unknown-ehr.example.org/fhir") + "&launch=xyz");

        await FailurePage.AssertAsync(w, page, response!, 400, "This EHR is not set up for the app",
            "Ask your integration team to register this EHR", "failure-01-unknown-ehr");
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("did not contact it");
        // The browser was not sent to the unknown EHR either.
        Assert.All(requests, r => Assert.Equal(w.World.AppOrigin, r));
    }

    [Fact]
    public async Task When_a_registered_ehr_is_down_before_its_sign_in_the_page_says_so_with_the_next_step()
    {
        var page = await w.PageAsync();
        var response = await page.GotoAsync(w.World.AppOrigin + "/launch?iss=" + Uri.EscapeDataString(FailureBrowserWorld.DownIssuer) + "&launch=xyz");

        await FailurePage.AssertAsync(w, page, response!, 502, "The EHR's sign-in could not be found", "Wait a minute, then open the app again", "failure-09-ehr-down-discovery");
    }

    [Fact]
    public async Task When_the_ehr_fails_every_chart_read_of_the_launch_the_page_says_it_is_not_answering_and_a_reload_recovers()
    {
        await FaultsAsync([.. ChartTypes.Select(t => new FaultRule { Kind = "503", Method = "GET", Path = "/fhir/" + t })]);
        try
        {
            var page = await w.PageAsync();
            await page.GotoAsync(w.World.SandboxOrigin + "/launcher");
            await page.SelectOptionAsync("select[name=practitioner]", "surgeon-1");
            await page.SelectOptionAsync("select[name=app]", w.World.AppOrigin + "/launch");
            var response = await FailurePage.AnswerAsync(page, w.World.AppOrigin, "/s/", () =>
                page.Locator("tr:has(a[href='/launcher/patient/classic-left'])").GetByRole(AriaRole.Button, new() { Name = "Launch", Exact = true }).ClickAsync());

            await FailurePage.AssertAsync(w, page, response, 503, "The EHR is not answering", "Wait a minute and reload this page", "failure-02-ehr-down-chart-reads");
            // Not an empty case dressed as a real one.
            await Assertions.Expect(page.GetByText("Case for occipital nerve rhizotomy")).ToHaveCountAsync(0);

            await FaultsAsync();
            var again = await page.ReloadAsync();
            Assert.Equal(200, again!.Status);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Case for occipital nerve rhizotomy" })).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByText("80% relief for 3 days").First).ToBeVisibleAsync();
        }
        finally
        {
            await FaultsAsync();
        }
    }

    [Fact]
    public async Task When_the_ehr_token_endpoint_fails_the_launch_ends_on_a_plain_page_with_the_next_step()
    {
        await FaultsAsync(new FaultRule { Kind = "503", Method = "POST", Path = "/auth/token" });
        try
        {
            var page = await w.PageAsync();
            await page.GotoAsync(w.World.SandboxOrigin + "/launcher");
            await page.SelectOptionAsync("select[name=practitioner]", "surgeon-1");
            await page.SelectOptionAsync("select[name=app]", w.World.AppOrigin + "/launch");
            var response = await FailurePage.AnswerAsync(page, w.World.AppOrigin, "/callback", () =>
                page.Locator("tr:has(a[href='/launcher/patient/classic-left'])").GetByRole(AriaRole.Button, new() { Name = "Launch", Exact = true }).ClickAsync());

            await FailurePage.AssertAsync(w, page, response, 502, "The EHR did not issue access", "Wait a minute, then open the app again", "failure-03-ehr-down-token");
        }
        finally
        {
            await FaultsAsync();
        }
    }

    [Fact]
    public async Task Inside_the_ehr_iframe_a_failure_shows_the_same_plain_page_in_the_frame_and_opens_no_pop_up()
    {
        await FaultsAsync(new FaultRule { Kind = "503", Method = "POST", Path = "/auth/token" });
        try
        {
            var page = await w.PageAsync(1200, 1000);
            var popups = 0;
            page.Popup += (_, _) => popups++;
            await page.GotoAsync($"{w.World.SandboxOrigin}/launcher/embed?practitioner=surgeon-1&patient=classic-left&encounter=classic-left-surgery&app={Uri.EscapeDataString(w.World.AppOrigin + "/launch")}");
            var frame = page.FrameLocator("iframe#app");
            await Assertions.Expect(frame.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("The EHR did not issue access");
            await Assertions.Expect(frame.Locator("main p.next")).ToContainTextAsync("Wait a minute, then open the app again");

            // The EHR's page stays where it was; the failure is told in the frame, not in a new window.
            Assert.StartsWith(w.World.SandboxOrigin + "/launcher/embed", page.Url, StringComparison.Ordinal);
            Assert.Equal(0, popups);
            await w.ShotAsync(page, "failure-08-in-the-ehr-iframe");
            Assert.Empty(await BrowserWorld.SeriousViolationsAsync(page.Frames.First(f => f.Url.StartsWith(w.World.AppOrigin, StringComparison.Ordinal))));
        }
        finally
        {
            await FaultsAsync();
        }
    }

    [Fact]
    public async Task An_unknown_or_old_session_page_says_the_session_has_ended_and_how_to_get_back()
    {
        var page = await w.PageAsync();
        var response = await page.GotoAsync(w.World.AppOrigin + "/s/no-such-launch-0123456789");

        await FailurePage.AssertAsync(w, page, response!, 401, "Your session has ended", "Open the app again from the patient's chart", "failure-04-session-unknown");
    }

    [Fact]
    public async Task An_address_that_is_no_page_of_the_app_gets_the_plain_page_not_an_empty_frame()
    {
        var page = await w.PageAsync();
        var response = await page.GotoAsync(w.World.AppOrigin + "/s/some-launch/no-such-page");

        await FailurePage.AssertAsync(w, page, response!, 404, "This page does not exist", "Open the app again from the patient's chart", "failure-10-no-such-page");

        // The API is not given a page, even when the caller would take HTML.
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, w.World.AppOrigin + "/api/no-such-thing");
        request.Headers.Accept.ParseAdd("text/html");
        using var api = await http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, api.StatusCode);
        Assert.DoesNotContain("This page does not exist", await api.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checking_the_note_after_the_session_ended_says_so_and_a_relaunch_brings_the_saved_draft_back()
    {
        var page = await w.LaunchFromLauncherAsync("classic-left");
        await page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (neurectomy)" }).ClickAsync();
        await page.GetByLabel("Approach and incision").FillAsync("Typed before the session ended");
        await Assertions.Expect(page.Locator("#autosave")).ToHaveTextAsync("Saved", new() { Timeout = 60_000 });

        // The surgeon leaves the page open past the session's longest life, then presses Check.
        w.World.Clock.Advance(TimeSpan.FromHours(13));
        var response = await FailurePage.AnswerAsync(page, w.World.AppOrigin, "/s/", () =>
            page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync());
        Assert.Equal("POST", response.Request.Method);
        await FailurePage.AssertAsync(w, page, response, 401, "Your session has ended", "the note form comes back as it was last saved", "failure-05-session-ended-on-check");

        // The next step works as the page says.
        await page.GotoAsync(w.World.SandboxOrigin + "/launcher");
        await page.SelectOptionAsync("select[name=practitioner]", "surgeon-1");
        await page.SelectOptionAsync("select[name=app]", w.World.AppOrigin + "/launch");
        await page.Locator("tr:has(a[href='/launcher/patient/classic-left'])").GetByRole(AriaRole.Button, new() { Name = "Launch", Exact = true }).ClickAsync();
        await w.ArriveAsync(page, FailurePage.AppPage(w.World.AppOrigin));
        await page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (neurectomy)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#resumed")).ToContainTextAsync("Resumed your draft from");
        await Assertions.Expect(page.GetByLabel("Approach and incision")).ToHaveValueAsync("Typed before the session ended");
        await BrowserWorld.DiscardDraftAsync(page.MainFrame);
    }

    [Fact]
    public async Task When_the_ehr_shows_its_own_banner_the_app_shows_none_but_the_note_still_names_patient_birth_date_and_encounter()
    {
        var page = await LaunchInTheEncounterAsync("classic-left", ehrShowsBanner: true);
        Assert.Equal(0, await page.Locator("header.banner").CountAsync());
        await page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (neurectomy)" }).ClickAsync();
        await Assertions.Expect(page.Locator("p.about")).ToContainTextAsync("Margaret Ellison");
        await Assertions.Expect(page.Locator("p.about")).ToContainTextAsync("born 1979-04-12");
        await Assertions.Expect(page.Locator("p.about")).ToContainTextAsync("Encounter: Day surgery: occipital nerve surgery");
        Assert.Equal(0, await page.Locator("header.banner").CountAsync());
        await w.ShotAsync(page, "banner-off-ehr-shows-it");
    }

    [Fact]
    public async Task When_the_ehr_asks_for_the_patient_banner_the_app_shows_it_on_each_page()
    {
        var page = await LaunchInTheEncounterAsync("classic-left", ehrShowsBanner: false);
        var banner = page.GetByRole(AriaRole.Banner, new() { Name = "Patient" });
        await Assertions.Expect(banner).ToContainTextAsync("Margaret Ellison");
        await Assertions.Expect(banner).ToContainTextAsync("Born 1979-04-12");
        await page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (neurectomy)" }).ClickAsync();
        await Assertions.Expect(page.Locator("p.about")).ToBeVisibleAsync();
        await Assertions.Expect(banner).ToContainTextAsync("Margaret Ellison");
        await Assertions.Expect(banner).ToContainTextAsync("Born 1979-04-12");
        await w.ShotAsync(page, "banner-on-need-patient-banner");
        Assert.Empty(await BrowserWorld.SeriousViolationsAsync(page.MainFrame));
    }

    [Fact]
    public async Task When_the_ehr_starts_answering_503_after_the_launch_the_note_and_check_still_work_and_signing_says_pending_with_the_reason()
    {
        var page = await w.LaunchFromLauncherAsync("classic-left");
        await page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (neurectomy)" }).ClickAsync();
        await FailurePage.FillCleanLeftNeurectomyAsync(page);
        await FaultsAsync(new FaultRule { Kind = "503", Path = "/fhir" });
        try
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync();
            await Assertions.Expect(page.Locator("#summary")).ToContainTextAsync("All checks passed");
            await Assertions.Expect(page.Locator("pre.preview")).ToContainTextAsync("greater occipital", new() { IgnoreCase = true });

            await page.GetByRole(AriaRole.Button, new() { Name = "Sign and file the note" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Confirm and sign" }).ClickAsync();
            var status = page.Locator("#sign-status");
            await Assertions.Expect(status).ToContainTextAsync("Pending: will be sent", new() { Timeout = 90_000 });
            await Assertions.Expect(status).ToContainTextAsync("the EHR has not accepted it yet.");
            // The reason in plain words (which call met the 503 first varies: the capability read or the write).
            await Assertions.Expect(status).ToContainTextAsync("; the app keeps trying.");
            await Assertions.Expect(status).Not.ToContainTextAsync("capabilities unreadable");
            await Assertions.Expect(status).Not.ToContainTextAsync("Not signed");
            output.WriteLine("While the EHR answers 503: " + await status.InnerTextAsync());
            await w.ShotAsync(page, "ehr-503-signing-pending");
            Assert.Empty(await BrowserWorld.SeriousViolationsAsync(page.MainFrame));
        }
        finally
        {
            await FaultsAsync();
        }

        // The EHR is back; the outbox's next attempt falls due (the app's clock is the test's) and the page follows it.
        w.World.Clock.Advance(TimeSpan.FromMinutes(10));
        await Assertions.Expect(page.Locator("#sign-status")).ToContainTextAsync("Signed and filed in the EHR", new() { Timeout = 90_000 });
        await Assertions.Expect(page.Locator("#sign-status")).ToContainTextAsync("DocumentReference/");
        await w.ShotAsync(page, "ehr-503-signing-filed-later");
    }

    [Fact]
    public async Task When_the_session_ends_while_a_signed_note_is_pending_the_page_stops_following_it_and_says_where_its_status_is()
    {
        var page = await w.LaunchFromLauncherAsync("classic-left");
        await page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (neurectomy)" }).ClickAsync();
        var launchId = new Uri(page.Url).AbsolutePath.Split('/')[2];
        await FailurePage.FillCleanLeftNeurectomyAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync();
        await Assertions.Expect(page.Locator("#summary")).ToContainTextAsync("All checks passed");
        await FaultsAsync(new FaultRule { Kind = "503", Path = "/fhir" });
        try
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign and file the note" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Confirm and sign" }).ClickAsync();
            var status = page.Locator("#sign-status");
            await Assertions.Expect(status).ToContainTextAsync("Pending: will be sent", new() { Timeout = 90_000 });

            // The app's session ends on the server; the page learns it from the 401 of its next status call and stops asking.
            await w.World.App.Services.GetRequiredService<Rhizotomy.App.Sessions.SessionStore>().RemoveAsync(launchId, CancellationToken.None);
            await Assertions.Expect(status).ToContainTextAsync("this page no longer follows it", new() { Timeout = 60_000 });
            await Assertions.Expect(status).ToContainTextAsync("open the app again from the patient's chart");
            var calls = 0;
            page.Request += (_, r) => { if (r.Url.Contains("/api/notes/", StringComparison.Ordinal)) calls++; };
            await page.WaitForTimeoutAsync(5_000);
            Assert.Equal(0, calls);
            await w.ShotAsync(page, "ehr-503-signing-pending-session-ended");
        }
        finally
        {
            await FaultsAsync();
        }
    }
}

/// <summary>The sandbox with its consent screen on: the user may deny, or grant less than the app asks.</summary>
public sealed class ConsentBrowserWorld() : SandboxSettingBrowserWorld("Sandbox:AutoApprove", "false");

/// <summary>Consent denied, a grant too narrow to read the chart, and a read-only grant, chosen on the sandbox's consent screen in a real browser.</summary>
[Collection("Browser")]
[Trait("Category", "Slow")]
public class ConsentFailurePagesTests(ConsentBrowserWorld w) : IClassFixture<ConsentBrowserWorld>
{
    private static readonly string[] WriteScopes =
        ["patient/DocumentReference.crus", "patient/Procedure.crus", "patient/Composition.crs", "patient/QuestionnaireResponse.crus", "user/Provenance.crs"];

    /// <summary>From the launcher to the sandbox's consent screen for a patient.</summary>
    private async Task<IPage> ConsentScreenAsync(string patientId)
    {
        var page = await w.PageAsync();
        await page.GotoAsync(w.World.SandboxOrigin + "/launcher");
        await page.SelectOptionAsync("select[name=practitioner]", "surgeon-1");
        await page.SelectOptionAsync("select[name=app]", w.World.AppOrigin + "/launch");
        await page.Locator($"tr:has(a[href='/launcher/patient/{patientId}'])").GetByRole(AriaRole.Button, new() { Name = "Launch", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("asks for access");
        return page;
    }

    private static async Task WithholdAsync(IPage page, IEnumerable<string> scopes)
    {
        foreach (var scope in scopes)
            await page.GetByRole(AriaRole.Checkbox, new() { Name = scope, Exact = true }).CheckAsync();
    }

    [Fact]
    public async Task Denying_consent_on_the_ehr_screen_gets_a_plain_page_with_the_next_step()
    {
        var page = await ConsentScreenAsync("classic-left");
        var response = await FailurePage.AnswerAsync(page, w.World.AppOrigin, "/callback", () =>
            page.GetByRole(AriaRole.Button, new() { Name = "Deny" }).ClickAsync());

        await FailurePage.AssertAsync(w, page, response, 403, "Access was not granted", "allow access when asked", "failure-06-consent-denied");
    }

    [Fact]
    public async Task A_grant_too_narrow_to_read_the_chart_gets_a_plain_page_that_names_what_is_missing()
    {
        var page = await ConsentScreenAsync("classic-left");
        await WithholdAsync(page, ["patient/Patient.r", "patient/Condition.rs"]);
        var response = await FailurePage.AnswerAsync(page, w.World.AppOrigin, "/callback", () =>
            page.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync());

        await FailurePage.AssertAsync(w, page, response, 403, "The app was not given access to the chart",
            "allow access to the patient's record when asked", "failure-07-scopes-missing");
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("permission to read the patient's record and diagnoses");
    }

    [Fact]
    public async Task A_read_only_grant_opens_with_a_notice_the_form_and_check_work_and_signing_is_not_offered()
    {
        var page = await ConsentScreenAsync("classic-left");
        await WithholdAsync(page, WriteScopes);
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await w.ArriveAsync(page, FailurePage.AppPage(w.World.AppOrigin));
        await BrowserWorld.DiscardDraftAsync(page.MainFrame);

        await Assertions.Expect(page.Locator("#read-only")).ToContainTextAsync("Read-only: the EHR did not grant the app permission to file notes");
        await Assertions.Expect(page.GetByText("80% relief for 3 days").First).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (neurectomy)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#read-only")).ToContainTextAsync("not sign it here");
        await Assertions.Expect(page.Locator("aside.evidence")).ToContainTextAsync("80% relief");

        await FailurePage.FillCleanLeftNeurectomyAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync();
        await Assertions.Expect(page.Locator("#summary")).ToContainTextAsync("All checks passed");
        await Assertions.Expect(page.Locator("pre.preview")).ToContainTextAsync("greater occipital", new() { IgnoreCase = true });
        await Assertions.Expect(page.Locator("#sign-unavailable")).ToContainTextAsync("Not offered: this launch is read-only");
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Sign and file the note" }).CountAsync());
        Assert.Equal(0, await page.Locator("#sign-start, #sign-confirm-yes").CountAsync());
        await w.ShotAsync(page, "read-only-note-checked");
        Assert.Empty(await BrowserWorld.SeriousViolationsAsync(page.MainFrame));
        await BrowserWorld.DiscardDraftAsync(page.MainFrame);
    }
}
