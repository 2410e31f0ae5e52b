using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Rhizotomy.App.Tests.WriteBack;
using Sandbox.Ehr.Fhir.Faults;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Form;

/// <summary>An Epic-like sandbox (notes filed only against an encounter) with the classic chart, more encounters and another patient.</summary>
public sealed class EncounterWorld : IAsyncLifetime
{
    public SmartWorld World { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        World = await SigningTests.WorldAsync("epic-like");
        var patient = new ResourceReference("Patient/test-classic-left");
        await World.SeedAsync(
            new Encounter
            {
                Id = "test-clinic-2025", Status = Encounter.EncounterStatus.Finished, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
                Subject = patient, Type = [new CodeableConcept { Text = "Neurosurgery clinic" }], Period = new Period { Start = "2025-06-01T09:30:00+01:00" },
            },
            new Encounter
            {
                Id = "test-hostile-2026", Status = Encounter.EncounterStatus.InProgress, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
                Subject = patient, Type = [new CodeableConcept { Text = "<script>alert(1)</script> & \"day\" case" }], Period = new Period { Start = "2026-01-10" },
            },
            new Encounter
            {
                Id = "test-error-2026", Status = Encounter.EncounterStatus.EnteredInError, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
                Subject = patient, Type = [new CodeableConcept { Text = "Recorded in error" }], Period = new Period { Start = "2026-02-01" },
            });
        await World.SeedAsync(Charts.ClassicLeft("test-other"));
    }

    public async Task DisposeAsync() => await World.DisposeAsync();
}

[Trait("Category", "Slow")]
public class EncounterChoiceTests(EncounterWorld e) : IClassFixture<EncounterWorld>
{
    private const string Field = "~encounter";

    /// <summary>The note preview the checked page shows.</summary>
    private static string Preview(HtmlForm page) => page.Page.QuerySelector("pre.preview")?.TextContent ?? "";
    private const string Surgery = "Encounter/test-classic-left-surgery";

    private static async Task<HtmlForm> OpenAsync(SurgeonTab tab, SmartWorld world, bool fresh = true)
    {
        using var page = await tab.Browser.GetAsync(new Uri($"{world.AppOrigin}/s/{tab.LaunchId}/note?template=occipital-neurectomy{(fresh ? "&fresh=1" : "")}"));
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, html);
        return new HtmlForm(html);
    }

    private static async Task<(HttpStatusCode Status, HtmlForm Form)> PostAsync(SurgeonTab tab, SmartWorld world, HtmlForm form, string action = "check")
    {
        using var response = await tab.Browser.PostAsync(new Uri(world.AppOrigin + form.Action), form.Content(action));
        return (response.StatusCode, new HtmlForm(await response.Content.ReadAsStringAsync()));
    }

    private static void NoApiWording(string html)
    {
        Assert.DoesNotContain("/api/notes/encounters", html, StringComparison.Ordinal);
        Assert.DoesNotContain("QuestionnaireResponse.encounter", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_launch_without_an_encounter_offers_the_patients_encounters_newest_first_labelled_in_words_and_escaped()
    {
        using var tab = await SurgeonTab.LaunchAsync(e.World, encounter: null);
        var form = await OpenAsync(tab, e.World);
        var html = form.Html;

        Assert.Contains("<label for=\"f-_encounter\">Encounter <span class=\"req\">(required)</span></label>", html);
        Assert.Contains("Encounter: not given by the EHR (choose it in the form)", html);
        // Newest first, the one without a date last; another patient's and one entered in error are not offered.
        Assert.Equal(["Encounter/test-hostile-2026", "Encounter/test-clinic-2025", Surgery], form.Options(Field).ToArray());
        Assert.Contains(">Neurosurgery clinic, 1 Jun 2025 09:30, finished</option>", html);
        Assert.Contains(">Day surgery, date not recorded, planned</option>", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;day&quot; case, 10 Jan 2026, in progress", html);
        Assert.DoesNotContain("<script>alert(1)", html);
        // Before a check, nothing is said about a choice not yet made.
        Assert.DoesNotContain(Rhizotomy.App.Form.EncounterPicker.MissingText, html);
        Assert.Empty(form.Values(Field));
    }

    [Fact]
    public async Task A_missing_required_encounter_is_said_at_the_control_and_in_the_summary_and_signing_waits_until_it_is_chosen()
    {
        using var tab = await SurgeonTab.LaunchAsync(e.World, encounter: null);
        var form = NotePageTests.FillLeftGreaterOccipitalNeurectomy(await OpenAsync(tab, e.World));

        var (status, checkedForm) = await PostAsync(tab, e.World, form);
        Assert.Equal(HttpStatusCode.OK, status);
        var html = checkedForm.Html;
        var message = checkedForm.Page.QuerySelector("div.msgs#m-_encounter > p.msg.error:first-child");
        Assert.Equal("Error: Choose the encounter this operation belongs to", message?.TextContent);
        Assert.Equal("Error: ", message?.QuerySelector("strong")?.TextContent);
        Assert.Contains("<a href=\"#f-_encounter\">Choose the encounter this operation belongs to</a>", html);
        Assert.Contains("1 problem stops signing", html);
        Assert.Equal("true", checkedForm.Page.QuerySelector("select#f-_encounter")?.GetAttribute("aria-invalid"));
        Assert.DoesNotContain("id=\"sign-start\"", html);
        NoApiWording(html);

        // Signing without script is refused with the same words, and nothing is filed.
        var (signStatus, refused) = await PostAsync(tab, e.World, checkedForm, "sign");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, signStatus);
        Assert.Contains(Rhizotomy.App.Form.EncounterPicker.MissingText, refused.Html);
        NoApiWording(refused.Html);
        // The page's script asks for the response to sign: refused in the surgeon's words too.
        using var forSigning = await tab.Browser.PostAsync(new Uri($"{e.World.AppOrigin}/s/{tab.LaunchId}/note/response?template=occipital-neurectomy&purpose=sign"), checkedForm.Content());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, forSigning.StatusCode);
        var outcome = await forSigning.Content.ReadAsStringAsync();
        Assert.Contains(Rhizotomy.App.Form.EncounterPicker.MissingText, outcome);
        NoApiWording(outcome);
        var noteId = checkedForm.Values("noteId").Single();
        Assert.Empty(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(e.World), noteId));

        // Chosen: the check is clean, the preview names the encounter, and the sign step offers it.
        checkedForm.Set(Field, Surgery);
        var (cleanStatus, clean) = await PostAsync(tab, e.World, checkedForm);
        Assert.Equal(HttpStatusCode.OK, cleanStatus);
        Assert.Contains("All checks passed", clean.Html);
        Assert.Contains("Encounter: Day surgery, date not recorded, planned", Preview(clean));
        Assert.Contains("Encounter: Day surgery, date not recorded, planned.", clean.Html);
        Assert.Contains("id=\"sign-start\"", clean.Html);
        Assert.Equal([Surgery], clean.Values(Field));

        // Signing without script: the confirm step carries the choice, and the note is filed against it.
        var (confirmStatus, confirm) = await PostAsync(tab, e.World, clean, "sign");
        Assert.Equal(HttpStatusCode.OK, confirmStatus);
        Assert.Contains("Encounter: Day surgery, date not recorded, planned", confirm.Html);
        Assert.Equal([Surgery], confirm.Values(Field));
        using var signed = await tab.Browser.PostAsync(new Uri(e.World.AppOrigin + confirm.Action), confirm.Content("confirm-sign"));
        Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
        Assert.Contains("/notes/" + noteId, signed.RequestMessage!.RequestUri!.AbsolutePath);
        await tab.SettledAsync(noteId);
        var document = Assert.Single(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(e.World), noteId));
        Assert.Equal(Surgery, document.Context!.Encounter.Single().Reference);
        Assert.Contains("Encounter: Day surgery, date not recorded, planned", System.Text.Encoding.UTF8.GetString(document.Content.Single().Attachment!.Data!));
    }

    [Fact]
    public async Task The_page_scripts_signing_path_sends_the_chosen_encounter_and_the_written_document_is_filed_against_it()
    {
        using var tab = await SurgeonTab.LaunchAsync(e.World, encounter: null);
        var form = NotePageTests.FillLeftGreaterOccipitalNeurectomy(await OpenAsync(tab, e.World)).Set(Field, "Encounter/test-clinic-2025");
        var (_, clean) = await PostAsync(tab, e.World, form);
        Assert.Contains("All checks passed", clean.Html);
        var preview = Preview(clean);
        Assert.Contains("Encounter: Neurosurgery clinic, 1 Jun 2025 09:30, finished", preview);

        using var built = await tab.Browser.PostAsync(new Uri($"{e.World.AppOrigin}/s/{tab.LaunchId}/note/response?template=occipital-neurectomy&purpose=sign"), clean.Content());
        Assert.Equal(HttpStatusCode.OK, built.StatusCode);
        var body = await built.Content.ReadAsStringAsync();
        Assert.Equal("Encounter/test-clinic-2025", new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<QuestionnaireResponse>(body).Encounter!.Reference);

        using var signed = await tab.SignAsync(body);
        Assert.Equal("written", (await SurgeonTab.FinalAsync(tab, signed)).GetProperty("status").GetString());
        var noteId = clean.Values("noteId").Single();
        var document = Assert.Single(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(e.World), noteId));
        Assert.Equal("Encounter/test-clinic-2025", document.Context!.Encounter.Single().Reference);
        // The filed text is the previewed text (the preview stops before the signature line).
        var filed = System.Text.Encoding.UTF8.GetString(document.Content.Single().Attachment!.Data!);
        Assert.StartsWith(System.Net.WebUtility.HtmlDecode(preview).TrimEnd().Split("\nElectronically signed")[0].TrimEnd(), filed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_encounter_that_is_not_the_patients_is_refused_at_check_and_at_signing()
    {
        using var tab = await SurgeonTab.LaunchAsync(e.World, encounter: null);
        var form = NotePageTests.FillLeftGreaterOccipitalNeurectomy(await OpenAsync(tab, e.World)).Set(Field, "Encounter/test-other-surgery");
        var (status, checkedForm) = await PostAsync(tab, e.World, form);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("The encounter chosen is not one of this patient", checkedForm.Html);
        Assert.DoesNotContain("id=\"sign-start\"", checkedForm.Html);
        Assert.Empty(checkedForm.Values(Field));

        var response = SignedNotes.LeftNeurectomy("not-the-patients-encounter");
        response.Encounter = new ResourceReference("Encounter/test-other-surgery");
        using var refused = await tab.SignAsync(response);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Empty(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(e.World), "not-the-patients-encounter"));
    }

    [Fact]
    public async Task The_chosen_encounter_is_kept_by_the_autosaved_draft()
    {
        using var tab = await SurgeonTab.LaunchAsync(e.World, encounter: null);
        var form = (await OpenAsync(tab, e.World)).Set(Field, "Encounter/test-clinic-2025").Set("incision", "Kept with the draft");
        using var saved = await tab.Browser.PostAsync(new Uri($"{e.World.AppOrigin}/s/{tab.LaunchId}/note/draft?template=occipital-neurectomy"), form.Content());
        Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);

        var resumed = await OpenAsync(tab, e.World, fresh: false);
        Assert.Equal(["Kept with the draft"], resumed.Values("incision"));
        Assert.Equal(["Encounter/test-clinic-2025"], resumed.Values(Field));
        Assert.Contains("Encounter: Neurosurgery clinic, 1 Jun 2025 09:30, finished.", resumed.Html);
        // Not the patient's, or not an encounter at all: not kept.
        form.Set(Field, "Patient/test-classic-left");
        using var again = await tab.Browser.PostAsync(new Uri($"{e.World.AppOrigin}/s/{tab.LaunchId}/note/draft?template=occipital-neurectomy"), form.Content());
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Empty((await OpenAsync(tab, e.World, fresh: false)).Values(Field));
    }

    [Fact]
    public async Task When_the_encounters_cannot_be_read_the_control_says_so_the_form_still_checks_and_signing_waits()
    {
        using var tab = await SurgeonTab.LaunchAsync(e.World, encounter: null);
        // The page has been open (the EHR's statement is known); then the EHR stops answering encounter reads.
        var form = NotePageTests.FillLeftGreaterOccipitalNeurectomy(await OpenAsync(tab, e.World)).Set(Field, Surgery);
        var faults = e.World.Sandbox.Services.GetRequiredService<FaultInjector>();
        faults.Replace(new FaultSettings { Rules = [new FaultRule { Kind = "500", Rate = 1, Method = "GET", Path = "/fhir/Encounter" }] });
        try
        {
            var page = await OpenAsync(tab, e.World);
            Assert.Contains("encounters could not be read from the EHR just now, so the note cannot be signed yet", page.Html);
            Assert.Contains("id=\"note-form\"", page.Html);

            var (status, checkedForm) = await PostAsync(tab, e.World, form);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains("problem stops signing", checkedForm.Html);
            Assert.DoesNotContain("id=\"sign-start\"", checkedForm.Html);
            // What was chosen is kept for the next check.
            Assert.Equal([Surgery], checkedForm.Values(Field));
            var (signStatus, refused) = await PostAsync(tab, e.World, checkedForm, "sign");
            Assert.Equal(HttpStatusCode.UnprocessableEntity, signStatus);
            NoApiWording(refused.Html);
        }
        finally
        {
            faults.Replace(new FaultSettings());
        }
    }

    [Fact]
    public async Task A_launch_with_an_encounter_shows_it_and_no_picker()
    {
        using var tab = await SurgeonTab.LaunchAsync(e.World);
        var form = await OpenAsync(tab, e.World);
        Assert.DoesNotContain("name=\"~encounter\"", form.Html);
        Assert.Contains("Encounter: Day surgery", form.Html);
    }

    [Fact]
    public async Task An_ehr_that_files_notes_without_an_encounter_offers_the_choice_as_optional_and_checks_clean_without_it()
    {
        await using var world = await SigningTests.WorldAsync("full");
        using var tab = await SurgeonTab.LaunchAsync(world, encounter: null);
        var form = await OpenAsync(tab, world);
        Assert.Contains("<label for=\"f-_encounter\">Encounter <span class=\"req\">(optional)</span></label>", form.Html);
        var select = form.Page.QuerySelector("select#f-_encounter");
        Assert.NotNull(select);
        Assert.False(select.HasAttribute("aria-required"));
        var (status, clean) = await PostAsync(tab, world, NotePageTests.FillLeftGreaterOccipitalNeurectomy(form));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("All checks passed", clean.Html);
        Assert.Contains("Encounter: none recorded", Preview(clean));

        // The encounters cannot be read now: said quietly at the control; the note needs none here, so the check stays clean.
        world.Sandbox.Services.GetRequiredService<FaultInjector>().Replace(new FaultSettings { Rules = [new FaultRule { Kind = "503", Rate = 1, Method = "GET", Path = "/fhir/Encounter" }] });
        var (downStatus, down) = await PostAsync(tab, world, clean);
        Assert.Equal(HttpStatusCode.OK, downStatus);
        Assert.Contains("This EHR takes a note without one", down.Html);
        Assert.Contains("All checks passed", down.Html);
        Assert.Contains("id=\"sign-start\"", down.Html);
    }
}
