using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Rhizotomy.App.Sessions;
using Rhizotomy.App.Tests.WriteBack;
using Rhizotomy.App.WriteBack;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Security;

/// <summary>
/// Issue 12, points 1, 2 and 4: one surgeon, one patient, one launch. A cookie the app did not issue
/// reaches nothing; a note is read only by a launch of its patient, surgeon and EHR; a pending note is
/// never handed another patient's token; a 403 after a rebind waits; a failed note can be signed again.
/// </summary>
public class LaunchBoundaryTests
{
    private const string PatientB = "test-b";

    private static async Task<SmartWorld> WorldAsync(Action<SmartWorld.Options>? more = null)
    {
        var world = await SigningTests.WorldAsync("full", more: more);
        await world.SeedAsync(Charts.ClassicLeft(PatientB));
        return world;
    }

    private static HttpClient BrowserWithCookie(SmartWorld world, string value)
    {
        var jar = new CookieContainer();
        jar.Add(new Uri(world.AppOrigin), new Cookie(SessionAccess.CookieName, value, "/"));
        return new HttpClient(new HttpClientHandler { CookieContainer = jar, UseCookies = true, AllowAutoRedirect = true }) { Timeout = TimeSpan.FromSeconds(60) };
    }


    [Fact]
    public async Task A_planted_browser_cookie_gets_nothing_of_the_surgeons_launch_context_case_page_draft_or_signing()
    {
        await using var world = await WorldAsync();

        // Two plants: a value the app never issued, and one it issued to the planter's own browser at /launch.
        var issuedToPlanter = await IssuedCookieAsync(world);
        foreach (var planted in new[] { SessionStore.NewId(), issuedToPlanter })
        {
            using var victim = BrowserWithCookie(world, planted);
            using var page = await victim.GetAsync(world.LaunchUrl("test-classic-left", "test-surgeon", "test-classic-left-surgery"));
            Assert.True(page.StatusCode == HttpStatusCode.OK, page.RequestMessage!.RequestUri!.AbsolutePath + " " + await page.Content.ReadAsStringAsync());
            var launchId = page.RequestMessage!.RequestUri!.AbsolutePath.Split('/').Last();
            using var context = await victim.GetAsync(world.AppOrigin + "/api/context");
            Assert.Equal(HttpStatusCode.OK, context.StatusCode);
            var csrf = (await SmartWorld.JsonAsync(context)).GetProperty("csrfToken").GetString()!;

            // The planter holds the planted value, and even knows the launch id and the CSRF token.
            using var planter = BrowserWithCookie(world, planted);
            using (var stolen = await planter.GetAsync(world.AppOrigin + "/api/context"))
                Assert.Equal(HttpStatusCode.Unauthorized, stolen.StatusCode);
            using (var stolen = await planter.GetAsync(world.AppOrigin + "/api/context?launch=" + launchId))
                Assert.Equal(HttpStatusCode.Unauthorized, stolen.StatusCode);
            using (var stolen = await planter.GetAsync(world.AppOrigin + "/s/" + launchId))
                Assert.Equal(HttpStatusCode.Unauthorized, stolen.StatusCode);
            using (var stolen = await planter.GetAsync(world.AppOrigin + "/s/" + launchId + "/note"))
                Assert.Equal(HttpStatusCode.Unauthorized, stolen.StatusCode);
            using (var draft = new HttpRequestMessage(HttpMethod.Put, world.AppOrigin + "/api/drafts"))
            {
                draft.Content = new StringContent(new FhirJsonSerializer().SerializeToString(SignedNotes.LeftNeurectomy("planted-draft")), Encoding.UTF8, "application/fhir+json");
                draft.Headers.Add("X-CSRF-Token", csrf);
                draft.Headers.Add("X-Launch-Id", launchId);
                using var refused = await planter.SendAsync(draft);
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            }
            using (var sign = new HttpRequestMessage(HttpMethod.Post, world.AppOrigin + "/api/notes"))
            {
                sign.Content = new StringContent(new FhirJsonSerializer().SerializeToString(SignedNotes.LeftNeurectomy("planted-note")), Encoding.UTF8, "application/fhir+json");
                sign.Headers.Add("X-CSRF-Token", csrf);
                sign.Headers.Add("X-Launch-Id", launchId);
                using var refused = await planter.SendAsync(sign);
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            }
            Assert.Null(await world.App.Services.GetRequiredService<Outbox>().FindAsync("planted-note", CancellationToken.None));

            // The surgeon's browser got a fresh id at the callback and keeps working.
            using var still = await victim.GetAsync(world.AppOrigin + "/api/context");
            Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        }
    }

    [Fact]
    public async Task The_callback_replaces_the_browser_id_and_earlier_tabs_of_the_same_browser_stay_open()
    {
        await using var world = await WorldAsync();
        var jar = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = jar, UseCookies = true }) { Timeout = TimeSpan.FromSeconds(60) };
        using var first = await browser.GetAsync(world.LaunchUrl("test-classic-left", "test-surgeon", "test-classic-left-surgery"));
        var firstCookie = jar.GetCookies(new Uri(world.AppOrigin))[SessionAccess.CookieName]!.Value;
        var firstLaunch = first.RequestMessage!.RequestUri!.AbsolutePath.Split('/').Last();
        using var second = await browser.GetAsync(world.LaunchUrl(PatientB, "test-surgeon", PatientB + "-surgery"));
        var secondCookie = jar.GetCookies(new Uri(world.AppOrigin))[SessionAccess.CookieName]!.Value;
        Assert.NotEqual(firstCookie, secondCookie);

        // The first tab still works in this browser; the replaced cookie, copied elsewhere, reaches nothing.
        using (var tab = await browser.GetAsync(world.AppOrigin + "/s/" + firstLaunch))
            Assert.Equal(HttpStatusCode.OK, tab.StatusCode);
        using var copy = BrowserWithCookie(world, firstCookie);
        using (var old = await copy.GetAsync(world.AppOrigin + "/s/" + firstLaunch))
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
    }

    [Fact]
    public async Task A_launch_for_patient_B_cannot_read_patient_As_note_by_page_api_or_amend()
    {
        await using var world = await WorldAsync();
        using var tabA = await SurgeonTab.LaunchAsync(world);
        using var signed = await tabA.SignAsync(SignedNotes.LeftNeurectomy("note-of-a"));
        Assert.Equal("written", (await SurgeonTab.FinalAsync(tabA, signed)).GetProperty("status").GetString());

        // The same surgeon, the same browser, another patient.
        using var pageB = await tabA.Browser.GetAsync(world.LaunchUrl(PatientB, "test-surgeon", PatientB + "-surgery"));
        var launchB = pageB.RequestMessage!.RequestUri!.AbsolutePath.Split('/').Last();
        using var contextB = await tabA.Browser.GetAsync(world.AppOrigin + "/api/context?launch=" + launchB);
        var csrfB = (await SmartWorld.JsonAsync(contextB)).GetProperty("csrfToken").GetString()!;

        using (var page = await tabA.Browser.GetAsync(world.AppOrigin + SignedNotePage.Path(launchB, "note-of-a")))
        {
            Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
            Assert.DoesNotContain("Alex", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var api = new HttpRequestMessage(HttpMethod.Get, world.AppOrigin + "/api/notes/note-of-a"))
        {
            api.Headers.Add("X-Launch-Id", launchB);
            using var refused = await tabA.Browser.SendAsync(api);
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }
        using (var amend = new HttpRequestMessage(HttpMethod.Post, world.AppOrigin + "/api/notes/note-of-a/$amend"))
        {
            amend.Content = new StringContent(new FhirJsonSerializer().SerializeToString(SignedNotes.LeftNeurectomy("amend-from-b")), Encoding.UTF8, "application/fhir+json");
            amend.Headers.Add("X-CSRF-Token", csrfB);
            amend.Headers.Add("X-Launch-Id", launchB);
            using var refused = await tabA.Browser.SendAsync(amend);
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }
        // A's own launch still reads it.
        using (var own = await tabA.Browser.GetAsync(world.AppOrigin + SignedNotePage.Path(tabA.LaunchId, "note-of-a")))
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task A_waiting_note_is_never_sent_with_another_patients_token_and_a_403_after_a_rebind_waits()
    {
        var forbid = new EhrSwitch();
        // No offline_access: once the clock has moved on, no token can be had and the note waits for a launch.
        await using var world = await WorldAsync(o =>
        {
            o.GrantableScopes = ["openid", "fhirUser", "profile", "launch", "launch/patient", "launch/encounter", "patient/*", "user/*"];
            o.RealClock = false;
            o.ConfigureSandbox = b => b.Services.AddSingleton<IStartupFilter>(forbid);
        });
        var outbox = world.App.Services.GetRequiredService<Outbox>();
        using var tab = await SurgeonTab.LaunchAsync(world);
        world.Clock.Advance(TimeSpan.FromHours(2));
        using (var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("waiting-a")))
            Assert.Equal("waiting-for-launch", (await SmartWorld.JsonAsync(signed)).GetProperty("status").GetString());

        // A launch of the same surgeon for patient B: the note keeps waiting, B's token is not handed to it.
        using var tabB = await SurgeonTab.LaunchAsync(world, PatientB, PatientB + "-surgery");
        using (var probe = new HttpRequestMessage(HttpMethod.Get, world.AppOrigin + "/api/notes/waiting-a"))
        {
            probe.Headers.Add("X-Launch-Id", tabB.LaunchId);
            using var _ = await tabB.Browser.SendAsync(probe);
        }
        using (var drafts = await tabB.Browser.GetAsync(world.AppOrigin + "/api/drafts"))
            Assert.Equal(HttpStatusCode.NotFound, drafts.StatusCode);
        await Task.Delay(1500);
        var note = (await outbox.FindAsync("waiting-a", CancellationToken.None))!;
        Assert.Equal(NoteStatus.WaitingForLaunch, note.Status);
        Assert.NotEqual(tabB.LaunchId, outbox.Unprotect<TokenState>(note.Tokens)!.LaunchId);

        // A new launch for A whose token the EHR refuses (403): the note waits again, it is not failed.
        forbid.Status = StatusCodes.Status403Forbidden;
        using var tabA2 = await SurgeonTab.LaunchAsync(world);
        var waiting = await tabA2.SettledAsync("waiting-a", until: "waiting-for-launch", timeout: TimeSpan.FromSeconds(60));
        Assert.True(forbid.Refused > 0, "the EHR was asked and refused");
        Assert.Equal("waiting-for-launch", waiting.GetProperty("status").GetString());

        // The next launch of A, accepted: written.
        forbid.Status = null;
        using var tabA3 = await SurgeonTab.LaunchAsync(world);
        await tabA3.SettledAsync("waiting-a", until: "written");
    }

    [Fact]
    public async Task A_note_the_ehr_refuses_for_good_gives_its_draft_back_so_it_can_be_signed_again()
    {
        var refuse = new EhrSwitch { Status = StatusCodes.Status400BadRequest };
        await using var world = await WorldAsync(o => o.ConfigureSandbox = b => b.Services.AddSingleton<IStartupFilter>(refuse));
        using var tab = await SurgeonTab.LaunchAsync(world);
        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("refused-note"));
        Assert.Equal("failed", (await SurgeonTab.FinalAsync(tab, signed)).GetProperty("status").GetString());

        // The draft is back, under a new note id; signing it again writes the note.
        using var draft = await tab.Browser.GetAsync(world.AppOrigin + "/api/drafts?launch=" + tab.LaunchId);
        Assert.Equal(HttpStatusCode.OK, draft.StatusCode);
        var restored = new FhirJsonDeserializer().Deserialize<QuestionnaireResponse>(await draft.Content.ReadAsStringAsync());
        Assert.StartsWith("refused-note-r", restored.Identifier!.Value, StringComparison.Ordinal);
        refuse.Status = null;
        restored.Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed;
        using var again = await tab.SignAsync(restored);
        Assert.True(again.IsSuccessStatusCode, await again.Content.ReadAsStringAsync());
        Assert.Equal("written", (await SurgeonTab.FinalAsync(tab, again)).GetProperty("status").GetString());
    }

    /// <summary>Signs in at the app's /launch as a planter would and keeps the cookie the app issued there.</summary>
    private static async Task<string> IssuedCookieAsync(SmartWorld world)
    {
        var jar = new CookieContainer();
        using var planter = new HttpClient(new HttpClientHandler { CookieContainer = jar, UseCookies = true, AllowAutoRedirect = false });
        using var _ = await planter.GetAsync(world.AppOrigin + "/launch?iss=" + Uri.EscapeDataString(world.Issuer));
        return jar.GetCookies(new Uri(world.AppOrigin))[SessionAccess.CookieName]!.Value;
    }

    /// <summary>The sandbox EHR answering every FHIR write with <see cref="Status"/> while it is set (an EHR's refusal the sandbox has no knob for).</summary>
    private sealed class EhrSwitch : IStartupFilter
    {
        public int? Status { get; set; }
        public int Refused;

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, inner) =>
            {
                if (Status is { } status && context.Request.Path.StartsWithSegments("/fhir") && !HttpMethods.IsGet(context.Request.Method))
                {
                    Interlocked.Increment(ref Refused);
                    context.Response.StatusCode = status;
                    context.Response.ContentType = "application/fhir+json";
                    await context.Response.WriteAsync(new FhirJsonSerializer().SerializeToString(new OperationOutcome
                    {
                        Issue = [new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Error, Code = OperationOutcome.IssueType.Forbidden, Diagnostics = "Refused by the test." }],
                    }));
                    return;
                }
                await inner(context);
            });
            next(app);
        };
    }
}
