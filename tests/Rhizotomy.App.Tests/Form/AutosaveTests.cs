using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Form;

/// <summary>Autosave and resume of the note form, over real HTTP against the sandbox EHR and the app's SQLite store.</summary>
public class AutosaveTests(FormWorld f) : IClassFixture<FormWorld>
{
    private sealed record Tab(HttpClient Browser, string LaunchId) : IDisposable
    {
        public void Dispose() => Browser.Dispose();
    }

    private async Task<Tab> LaunchAsync(string patient = "test-classic-left", string surgeon = "test-surgeon")
    {
        var browser = SmartWorld.Browser();
        using var page = await browser.GetAsync(f.World.LaunchUrl(patient, surgeon, patient + "-surgery"));
        Assert.True(page.StatusCode == HttpStatusCode.OK, await page.Content.ReadAsStringAsync());
        return new Tab(browser, page.RequestMessage!.RequestUri!.AbsolutePath.Split('/')[2]);
    }

    private async Task<HtmlForm> OpenAsync(Tab tab, string query = "template=occipital-neurectomy")
    {
        using var page = await tab.Browser.GetAsync(f.Url($"/s/{tab.LaunchId}/note?{query}"));
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, html);
        return new HtmlForm(html);
    }

    /// <summary>What the page's script does after a change: the form becomes a QuestionnaireResponse on the server, then PUT /api/drafts.</summary>
    private async Task<HttpStatusCode> AutosaveAsync(Tab tab, HtmlForm form)
    {
        using var built = await tab.Browser.PostAsync(f.Url($"/s/{tab.LaunchId}/note/response?template=occipital-neurectomy"), form.Content());
        var json = await built.Content.ReadAsStringAsync();
        Assert.True(built.StatusCode == HttpStatusCode.OK, json);
        using var put = new HttpRequestMessage(HttpMethod.Put, f.Url("/api/drafts"));
        put.Content = new StringContent(json, Encoding.UTF8);
        put.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/fhir+json");
        put.Headers.Add("X-CSRF-Token", form.Values("csrf").Single());
        put.Headers.Add("X-Launch-Id", tab.LaunchId);
        using var saved = await tab.Browser.SendAsync(put);
        return saved.StatusCode;
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
            Assert.Equal(HttpStatusCode.NoContent, await AutosaveAsync(tab, form));
        }

        using var again = await LaunchAsync();
        var resumed = await OpenAsync(again);
        Assert.Contains("Resumed your draft from <time", resumed.Html);
        Assert.Equal(["Autosaved: paracetamol as needed"], resumed.Values("plan-pain"));
        Assert.Equal(["17"], resumed.Values("gon-left-segment-length"));
        Assert.Equal(["true"], resumed.Values("gon-left-treated"));
        // The same note: signing the resumed form cannot file a second one.
        Assert.Equal([noteId], resumed.Values("noteId"));
        Assert.DoesNotMatch("id=\"w-gon-left-segment-length\"[^>]*hidden", resumed.Html);

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
    public async Task A_draft_of_one_template_is_not_poured_into_the_other()
    {
        using var tab = await LaunchAsync();
        var form = await OpenAsync(tab, "template=occipital-neurectomy&fresh=1");
        form.Set("plan-activity", "Neurectomy draft only");
        Assert.Equal(HttpStatusCode.NoContent, await AutosaveAsync(tab, form));
        Assert.Contains("Resumed your draft", (await OpenAsync(tab)).Html);
        var coagulation = await OpenAsync(tab, "template=occipital-coagulation");
        Assert.DoesNotContain("Resumed your draft", coagulation.Html);
        Assert.DoesNotContain("Neurectomy draft only", coagulation.Html);
    }

    [Fact]
    public async Task A_discarded_draft_is_not_resumed_and_discarding_needs_the_page_token()
    {
        using var tab = await LaunchAsync();
        var form = await OpenAsync(tab, "template=occipital-neurectomy&fresh=1");
        form.Set("incision", "Discard me");
        Assert.Equal(HttpStatusCode.NoContent, await AutosaveAsync(tab, form));
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
        Assert.Contains("fetch('/api/drafts', { method: 'PUT'", script);
        Assert.Contains("Not saved: will retry", script);
        Assert.DoesNotContain("localStorage", script);
        Assert.DoesNotContain("sessionStorage", script);
    }
}
