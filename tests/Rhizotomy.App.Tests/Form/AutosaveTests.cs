using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Rhizotomy.App.Sessions;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Form;

/// <summary>Autosave and resume of the note form, over real HTTP against the sandbox EHR and the app's SQLite store.</summary>
public class AutosaveTests(FormWorld f) : IClassFixture<FormWorld>
{
    private sealed record Tab(HttpClient Browser, CookieContainer Cookies, string LaunchId) : IDisposable
    {
        public void Dispose() => Browser.Dispose();
    }

    private async Task<Tab> LaunchAsync(string patient = "test-classic-left", string surgeon = "test-surgeon")
    {
        var cookies = new CookieContainer();
        var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = true, UseCookies = true }) { Timeout = TimeSpan.FromSeconds(60) };
        using var page = await browser.GetAsync(f.World.LaunchUrl(patient, surgeon, patient + "-surgery"));
        Assert.True(page.StatusCode == HttpStatusCode.OK, await page.Content.ReadAsStringAsync());
        return new Tab(browser, cookies, page.RequestMessage!.RequestUri!.AbsolutePath.Split('/')[2]);
    }

    private async Task<HtmlForm> OpenAsync(Tab tab, string query = "template=occipital-neurectomy")
    {
        using var page = await tab.Browser.GetAsync(f.Url($"/s/{tab.LaunchId}/note?{query}"));
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, html);
        return new HtmlForm(html);
    }

    /// <summary>What the page's script does a few seconds after a change: the form as it stands is posted to <c>note/draft</c>.</summary>
    private async Task<HttpResponseMessage> AutosaveAsync(Tab tab, HtmlForm form, string template = "occipital-neurectomy")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, f.Url($"/s/{tab.LaunchId}/note/draft?template={template}")) { Content = form.Content() };
        request.Headers.Add("X-Launch-Id", tab.LaunchId);
        return await tab.Browser.SendAsync(request);
    }

    private async Task<HttpStatusCode> SavedAsync(Tab tab, HtmlForm form, string template = "occipital-neurectomy")
    {
        using var saved = await AutosaveAsync(tab, form, template);
        Assert.True(saved.StatusCode == HttpStatusCode.NoContent, await saved.Content.ReadAsStringAsync());
        return saved.StatusCode;
    }

    private static async Task<OperationOutcome> OutcomeAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        return FormWorld.Parse<OperationOutcome>(await response.Content.ReadAsStringAsync());
    }

    private async Task<QuestionnaireResponse?> DraftOfAsync(Tab tab, string template)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, f.Url("/api/drafts?template=" + template));
        request.Headers.Add("X-Launch-Id", tab.LaunchId);
        using var answer = await tab.Browser.SendAsync(request);
        if (answer.StatusCode == HttpStatusCode.NotFound)
            return null;
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return FormWorld.Parse<QuestionnaireResponse>(await answer.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Answers_autosaved_by_the_script_come_back_on_a_relaunch_for_the_same_patient_and_surgeon()
    {
        string noteId;
        using (var tab = await LaunchAsync())
        {
            var form = await OpenAsync(tab, "template=occipital-neurectomy&fresh=1");
            noteId = form.Values("noteId").Single();
            form.Set("gon-left-treated", "true").Set("gon-left-segment-length", "17").Set("plan-pain", "Autosaved: paracetamol as needed");
            await SavedAsync(tab, form);
        }

        using var again = await LaunchAsync();
        var resumed = await OpenAsync(again);
        Assert.Contains("Resumed your draft from <time", resumed.Html);
        Assert.Equal(["Autosaved: paracetamol as needed"], resumed.Values("plan-pain"));
        Assert.Equal(["17"], resumed.Values("gon-left-segment-length"));
        Assert.Equal(["true"], resumed.Values("gon-left-treated"));
        // The same note: signing the resumed form cannot file a second one.
        Assert.Equal([noteId], resumed.Values("noteId"));
        Assert.True(Html.Hidden(resumed.Html, "w-gon-left-segment-length") == false, "w-gon-left-segment-length is shown");

        // Start over: the chart prefill, not the draft.
        var fresh = await OpenAsync(again, "template=occipital-neurectomy&fresh=1");
        Assert.DoesNotContain("Resumed your draft", fresh.Html);
        Assert.DoesNotContain("Autosaved: paracetamol", fresh.Html);
        Assert.NotEqual([noteId], fresh.Values("noteId"));
        Assert.Contains("from chart", fresh.Html);
    }

    [Fact]
    public async Task A_check_saves_the_draft_for_this_patient_and_surgeon_only()
    {
        await f.World.SeedAsync(Charts.ClassicLeft("test-autosave-other"));
        await f.World.SeedAsync(new Practitioner { Id = "test-surgeon-other", Name = [new HumanName { Family = "Other", Given = ["Kim"], Prefix = ["Dr"] }] });
        using (var tab = await LaunchAsync())
        {
            var form = await OpenAsync(tab, "template=occipital-neurectomy&fresh=1");
            form.Set("plan-wound", "Checked then closed: keep dry 72 h");
            using var checkedPage = await tab.Browser.PostAsync(f.Url(form.Action), form.Content());
            Assert.Equal(HttpStatusCode.OK, checkedPage.StatusCode);
        }

        using (var same = await LaunchAsync())
        {
            var resumed = await OpenAsync(same);
            Assert.Contains("Resumed your draft", resumed.Html);
            Assert.Equal(["Checked then closed: keep dry 72 h"], resumed.Values("plan-wound"));
        }
        using (var otherPatient = await LaunchAsync(patient: "test-autosave-other"))
        {
            var page = await OpenAsync(otherPatient);
            Assert.DoesNotContain("Resumed your draft", page.Html);
            Assert.DoesNotContain("keep dry 72 h", page.Html);
        }
        using (var otherSurgeon = await LaunchAsync(surgeon: "test-surgeon-other"))
        {
            var page = await OpenAsync(otherSurgeon);
            Assert.DoesNotContain("Resumed your draft", page.Html);
            Assert.DoesNotContain("keep dry 72 h", page.Html);
        }
    }

    [Fact]
    public async Task Each_template_keeps_its_own_draft_so_a_coagulation_draft_neither_hides_nor_overwrites_a_neurectomy_draft()
    {
        using (var tab = await LaunchAsync())
        {
            var neurectomy = await OpenAsync(tab, "template=occipital-neurectomy&fresh=1");
            neurectomy.Set("plan-activity", "Neurectomy draft only");
            await SavedAsync(tab, neurectomy);
            var coagulation = await OpenAsync(tab, "template=occipital-coagulation&fresh=1");
            Assert.DoesNotContain("Neurectomy draft only", coagulation.Html);
            coagulation.Set("plan-activity", "Coagulation draft only");
            await SavedAsync(tab, coagulation, "occipital-coagulation");
        }

        using var again = await LaunchAsync();
        var resumedNeurectomy = await OpenAsync(again, "template=occipital-neurectomy");
        Assert.Contains("Resumed your draft", resumedNeurectomy.Html);
        Assert.Equal(["Neurectomy draft only"], resumedNeurectomy.Values("plan-activity"));
        var resumedCoagulation = await OpenAsync(again, "template=occipital-coagulation");
        Assert.Contains("Resumed your draft", resumedCoagulation.Html);
        Assert.Equal(["Coagulation draft only"], resumedCoagulation.Values("plan-activity"));
        // The case page of the re-launch offers both.
        var casePage = await again.Browser.GetStringAsync(f.Url($"/s/{again.LaunchId}"));
        var offers = Html.Parse(casePage).QuerySelectorAll("p.notice.draft > a[href]")
            .Where(a => a.ParentElement!.TextContent.StartsWith("Unsigned draft: ", StringComparison.Ordinal)).Select(a => a.GetAttribute("href")!).ToList();
        Assert.Equal(2, offers.Count);
        Assert.Contains($"/s/{again.LaunchId}/note?template=occipital-neurectomy", offers);
        Assert.Contains($"/s/{again.LaunchId}/note?template=occipital-coagulation", offers);

        // Discarding one template's draft leaves the other.
        using (var discard = new HttpRequestMessage(HttpMethod.Delete, f.Url("/api/drafts?template=occipital-coagulation")))
        {
            discard.Headers.Add("X-Launch-Id", again.LaunchId);
            discard.Headers.Add("X-CSRF-Token", resumedCoagulation.Values("csrf").Single());
            using var discarded = await again.Browser.SendAsync(discard);
            Assert.Equal(HttpStatusCode.NoContent, discarded.StatusCode);
        }
        Assert.Null(await DraftOfAsync(again, "occipital-coagulation"));
        Assert.Equal("Neurectomy draft only", (await DraftOfAsync(again, "occipital-neurectomy"))!.Item.SelectMany(Flatten).Single(i => i.LinkId == "plan-activity").Answer.Single().Value!.ToString());
    }

    [Fact]
    public async Task An_invalid_number_an_out_of_range_value_and_text_behind_a_closed_branch_come_back_exactly_but_the_response_holds_only_valid_answers()
    {
        using (var tab = await LaunchAsync())
        {
            var form = await OpenAsync(tab, "template=occipital-neurectomy&fresh=1");
            form.Set("estimated-blood-loss", "abc")
                .Set("gon-left-treated", "true").Set("gon-left-segment-length", "999")
                // The right nerve is not ticked: its section is closed, what was typed there stays.
                .Set("gon-right-findings-text", "Typed before unticking the right nerve");
            Assert.Empty(form.Values("gon-right-treated"));
            await SavedAsync(tab, form);

            var response = (await DraftOfAsync(tab, "occipital-neurectomy"))!;
            var json = FormWorld.Json(response);
            Assert.DoesNotContain("abc", json);
            Assert.DoesNotContain("Typed before unticking", json);
            Assert.Contains(response.Item.SelectMany(Flatten), i => i.LinkId == "gon-left-segment-length");
        }

        using var again = await LaunchAsync();
        var resumed = await OpenAsync(again);
        Assert.Contains("Resumed your draft", resumed.Html);
        Assert.Equal(["abc"], resumed.Values("estimated-blood-loss"));
        Assert.Equal(["999"], resumed.Values("gon-left-segment-length"));
        Assert.Equal(["Typed before unticking the right nerve"], resumed.Values("gon-right-findings-text"));
        Assert.Empty(resumed.Values("gon-right-treated"));
        Assert.True(Html.Hidden(resumed.Html, "f-treat-gon-right") == true, "f-treat-gon-right is hidden");

        // A check of the resumed form says what is wrong with the kept values, and still keeps them.
        using var checkedPage = await again.Browser.PostAsync(f.Url(resumed.Action), resumed.Content());
        var html = await checkedPage.Content.ReadAsStringAsync();
        Assert.Contains("is not a number", html);
        Assert.Equal(["abc"], new HtmlForm(html).Values("estimated-blood-loss"));
    }

    private static IEnumerable<QuestionnaireResponse.ItemComponent> Flatten(QuestionnaireResponse.ItemComponent item) =>
        new[] { item }.Concat(item.Item.SelectMany(Flatten)).Concat(item.Answer.SelectMany(a => a.Item).SelectMany(Flatten));

    [Fact]
    public async Task When_the_session_has_ended_autosave_answers_401_with_an_outcome_and_a_relaunch_resumes_the_last_save()
    {
        using (var tab = await LaunchAsync())
        {
            var form = await OpenAsync(tab, "template=occipital-neurectomy&fresh=1");
            form.Set("plan-pain", "Saved before the session ended");
            await SavedAsync(tab, form);

            await f.World.App.Services.GetRequiredService<SessionStore>().RemoveAsync(tab.LaunchId, CancellationToken.None);
            form.Set("plan-pain", "Typed after the session ended");
            using var ended = await AutosaveAsync(tab, form);
            Assert.Equal(HttpStatusCode.Unauthorized, ended.StatusCode);
            Assert.Equal(OperationOutcome.IssueType.Login, (await OutcomeAsync(ended)).Issue.Single().Code);
        }

        using var again = await LaunchAsync();
        var resumed = await OpenAsync(again);
        Assert.Contains("Resumed your draft", resumed.Html);
        Assert.Equal(["Saved before the session ended"], resumed.Values("plan-pain"));
    }

    [Fact]
    public async Task Autosave_refuses_a_foreign_page_token_odd_content_and_unknown_templates_with_an_outcome()
    {
        using var tab = await LaunchAsync();
        var form = await OpenAsync(tab, "template=occipital-neurectomy&fresh=1");
        var csrf = form.Values("csrf").Single();

        using (var forged = await AutosaveAsync(tab, form.Set("csrf", "not-this-page")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
            Assert.Equal(OperationOutcome.IssueType.Security, (await OutcomeAsync(forged)).Issue.Single().Code);
        }
        form.Set("csrf", csrf);
        using (var unknown = await AutosaveAsync(tab, form, "no-such-template"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal(OperationOutcome.IssueType.NotFound, (await OutcomeAsync(unknown)).Issue.Single().Code);
        }
        using (var json = new HttpRequestMessage(HttpMethod.Post, f.Url($"/s/{tab.LaunchId}/note/draft?template=occipital-neurectomy")))
        {
            json.Content = new StringContent("{\"resourceType\":\"QuestionnaireResponse\"}", Encoding.UTF8, "application/fhir+json");
            using var refused = await tab.Browser.SendAsync(json);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, refused.StatusCode);
            await OutcomeAsync(refused);
        }
        // The API's PUT: a response that names no template of this app is not a draft.
        using (var put = new HttpRequestMessage(HttpMethod.Put, f.Url("/api/drafts")))
        {
            put.Content = new StringContent(FormWorld.Json(new QuestionnaireResponse { Status = QuestionnaireResponse.QuestionnaireResponseStatus.InProgress }), Encoding.UTF8);
            put.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/fhir+json");
            put.Headers.Add("X-CSRF-Token", csrf);
            put.Headers.Add("X-Launch-Id", tab.LaunchId);
            using var refused = await tab.Browser.SendAsync(put);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            await OutcomeAsync(refused);
        }
    }

    [Fact]
    public async Task When_the_ehr_token_has_expired_but_the_app_session_lives_drafts_still_save()
    {
        using var tab = await LaunchAsync();
        var form = await OpenAsync(tab, "template=occipital-neurectomy&fresh=1");
        // The refresh failed (NeedsRelaunch): the EHR token is gone, the app's session is not.
        var store = f.World.App.Services.GetRequiredService<SessionStore>();
        var browserId = tab.Cookies.GetCookies(new Uri(f.World.AppOrigin))[SessionAccess.CookieName]!.Value;
        var session = (await store.FindByCookieAsync(tab.LaunchId, browserId, CancellationToken.None))!;
        await store.SaveAsync(session with { NeedsRelaunch = true }, CancellationToken.None);

        form.Set("plan-wound", "Saved while the EHR sign-in had expired");
        await SavedAsync(tab, form);
        var page = await OpenAsync(tab);
        Assert.Contains("Your EHR sign-in has expired", page.Html);
        Assert.Contains("Resumed your draft", page.Html);
        Assert.Equal(["Saved while the EHR sign-in had expired"], page.Values("plan-wound"));
    }

    [Fact]
    public async Task A_draft_saved_by_an_earlier_build_one_per_patient_and_surgeon_is_resumed_for_its_template_and_replaced_at_its_next_save()
    {
        using var tab = await LaunchAsync();
        var form = await OpenAsync(tab, "template=occipital-neurectomy&fresh=1");
        using (var discard = new HttpRequestMessage(HttpMethod.Delete, f.Url("/api/drafts")))
        {
            discard.Headers.Add("X-Launch-Id", tab.LaunchId);
            discard.Headers.Add("X-CSRF-Token", form.Values("csrf").Single());
            using var discarded = await tab.Browser.SendAsync(discard);
            Assert.Equal(HttpStatusCode.NoContent, discarded.StatusCode);
        }
        // The earlier shape: keyed by issuer, patient and practitioner; the payload the response JSON alone.
        var services = f.World.App.Services;
        var browserId = tab.Cookies.GetCookies(new Uri(f.World.AppOrigin))[SessionAccess.CookieName]!.Value;
        var session = (await services.GetRequiredService<SessionStore>().FindByCookieAsync(tab.LaunchId, browserId, CancellationToken.None))!;
        var outbox = services.GetRequiredService<Rhizotomy.App.WriteBack.Outbox>();
        using (var built = await tab.Browser.PostAsync(f.Url($"/s/{tab.LaunchId}/note/response?template=occipital-neurectomy"), form.Set("plan-pain", "From the earlier build").Content()))
        {
            Assert.Equal(HttpStatusCode.OK, built.StatusCode);
            var factory = services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Rhizotomy.App.WriteBack.WriteBackDb>>();
            await using var db = await factory.CreateDbContextAsync();
            db.Drafts.Add(new Rhizotomy.App.WriteBack.DraftRecord
            {
                OwnerKey = Rhizotomy.App.WriteBack.Outbox.OwnerKey(session),
                Payload = outbox.Protect(await built.Content.ReadAsStringAsync()),
                UpdatedAt = outbox.Now,
            });
            await db.SaveChangesAsync();
        }

        var coagulation = await OpenAsync(tab, "template=occipital-coagulation");
        Assert.DoesNotContain("Resumed your draft", coagulation.Html);
        var resumed = await OpenAsync(tab);
        Assert.Contains("Resumed your draft", resumed.Html);
        Assert.Equal(["From the earlier build"], resumed.Values("plan-pain"));

        await SavedAsync(tab, resumed.Set("plan-pain", "Saved by this build"));
        await using (var db = await services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Rhizotomy.App.WriteBack.WriteBackDb>>().CreateDbContextAsync())
            Assert.False(db.Drafts.Any(d => d.OwnerKey == Rhizotomy.App.WriteBack.Outbox.OwnerKey(session)));
        Assert.Equal(["Saved by this build"], (await OpenAsync(tab)).Values("plan-pain"));
    }

    [Fact]
    public async Task A_discarded_draft_is_not_resumed_and_discarding_needs_the_page_token()
    {
        using var tab = await LaunchAsync();
        var form = await OpenAsync(tab, "template=occipital-neurectomy&fresh=1");
        form.Set("incision", "Discard me");
        await SavedAsync(tab, form);
        HttpRequestMessage Delete(bool csrf)
        {
            var request = new HttpRequestMessage(HttpMethod.Delete, f.Url("/api/drafts"));
            request.Headers.Add("X-Launch-Id", tab.LaunchId);
            if (csrf)
                request.Headers.Add("X-CSRF-Token", form.Values("csrf").Single());
            return request;
        }
        using (var forged = await tab.Browser.SendAsync(Delete(csrf: false)))
            Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Contains("Discard me", (await OpenAsync(tab)).Html);
        using (var discarded = await tab.Browser.SendAsync(Delete(csrf: true)))
            Assert.Equal(HttpStatusCode.NoContent, discarded.StatusCode);
        var page = await OpenAsync(tab);
        Assert.DoesNotContain("Discard me", page.Html);
        Assert.DoesNotContain("Resumed your draft", page.Html);
    }

    [Fact]
    public async Task The_page_has_a_polite_save_status_and_its_script_keeps_nothing_in_browser_storage()
    {
        using var tab = await LaunchAsync();
        var html = (await OpenAsync(tab, "template=occipital-neurectomy&fresh=1")).Html;
        Assert.Contains("id=\"autosave\" class=\"autosave muted\" role=\"status\" aria-live=\"polite\"", html);
        var script = await tab.Browser.GetStringAsync(f.Url("/form.js"));
        Assert.Contains("/note/draft", script);
        Assert.Contains("Not saved: will retry", script);
        Assert.Contains("Your session has ended: re-launch the app from the patient", script);
        Assert.DoesNotContain("localStorage", script);
        Assert.DoesNotContain("sessionStorage", script);
    }
}
