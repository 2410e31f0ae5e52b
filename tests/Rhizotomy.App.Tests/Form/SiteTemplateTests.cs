using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.App.Tests.WriteBack;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Form;

/// <summary>
/// A site's template folder (<c>App:Templates:Folder</c>) with a third template whose new required question has an
/// initialExpression, a rule and a phrase pattern: with no code change the app offers it, renders and prefills the
/// question, checks it, and files it in the DocumentReference text and the Composition.
/// </summary>
public sealed class SiteTemplateTests
{
    [Fact]
    public async Task A_site_template_folder_is_offered_rendered_prefilled_checked_and_filed_without_code()
    {
        var folder = Directory.CreateTempSubdirectory("rhizotomy-site-templates-").FullName;
        try
        {
            SiteTemplates.Write(folder, SiteTemplates.Build());
            await using var world = await SigningTests.WorldAsync("full", more: o => o.App["App:Templates:Folder"] = folder);
            using var tab = await SurgeonTab.LaunchAsync(world);

            // Offered, by title, beside the shipped templates.
            var bundle = FormWorld.Parse<Bundle>(await tab.Browser.GetStringAsync(new Uri(world.AppOrigin + "/api/templates")));
            Assert.Contains(bundle.Entry, e => e.Resource is Questionnaire { Url: SiteTemplates.Url, Title: SiteTemplates.Title });

            var casePage = await tab.Browser.GetStringAsync(new Uri($"{world.AppOrigin}/s/{tab.LaunchId}"));
            Assert.Contains($"note?template={SiteTemplates.Id}\">Write the operative note: {SiteTemplates.Title}</a>", casePage, StringComparison.Ordinal);

            // Rendered and prefilled on the note page, where the other templates are offered too.
            var page = await tab.Browser.GetStringAsync(new Uri($"{world.AppOrigin}/s/{tab.LaunchId}/note?template={SiteTemplates.Id}"));
            Assert.Contains("Positioning", page, StringComparison.Ordinal);
            Assert.Contains("value=\"prone\"", page, StringComparison.Ordinal);
            var shipped = await tab.Browser.GetStringAsync(new Uri($"{world.AppOrigin}/s/{tab.LaunchId}/note?template={TemplateDefinitions.NeurectomyId}"));
            Assert.Contains($"Switch to: {SiteTemplates.Title}</a>", shipped, StringComparison.Ordinal);

            // Prefilled by $populate, then completed as the surgeon would.
            var qr = await PopulateAsync(world, tab);
            Assert.Equal("prone", Assert.IsType<FhirString>(qr.Item.Single(i => i.LinkId == SiteTemplates.Positioning).Answer.Single().Value).Value);
            NoteAnswers.CompleteCommon(qr);
            NoteAnswers.Neurectomy(qr, NoteAnswers.For(Nerve.GreaterOccipital, Side.Left));
            qr.Identifier = new Identifier(Known.NoteIdentifierSystem, "note-site-template");
            qr.Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed;

            // Checked: the site's rule stops a supine note.
            var supine = (QuestionnaireResponse)qr.DeepCopy();
            NoteAnswers.Set(supine, [SiteTemplates.Positioning], new FhirString("supine"));
            var outcome = await CheckAsync(world, tab, supine);
            Assert.Contains(outcome.Issue, i => i.Details?.Coding.FirstOrDefault()?.Code == SiteTemplates.RuleKey && i.Details.Text == SiteTemplates.RuleText);

            // Filed: the sentence is in the DocumentReference's text and the Composition's procedure description.
            using var signed = await tab.SignAsync(qr);
            var status = await SurgeonTab.FinalAsync(tab, signed);
            Assert.True(status.GetProperty("status").GetString() == "written", status.ToString());
            var chart = await SignedNotes.ChartAsync(world);
            var document = Assert.Single(SignedNotes.Written<DocumentReference>(chart, "note-site-template"));
            var plain = document.Content.First(c => c.Attachment!.ContentType!.StartsWith("text/plain", StringComparison.Ordinal));
            Assert.Contains(SiteTemplates.Sentence, Encoding.UTF8.GetString(plain.Attachment!.Data!), StringComparison.Ordinal);
            var composition = Assert.Single(SignedNotes.Written<Composition>(chart, "note-site-template"));
            var description = composition.Section.Single(s => s.Code?.Coding.FirstOrDefault()?.Code == Known.Loinc.ProcedureDescription);
            Assert.Contains(SiteTemplates.Sentence, description.Text?.Div ?? "", StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_nerve_a_site_folder_adds_in_json_is_offered_checked_previewed_and_filed_as_its_own_procedure()
    {
        var folder = Directory.CreateTempSubdirectory("rhizotomy-site-nerve-").FullName;
        try
        {
            // JSON only: the site's template with a left supraorbital group, and the CodeSystem concepts for it.
            SiteTemplates.Write(folder, SiteTemplates.WithLeftSupraorbitalNerve(SiteTemplates.Build()));
            SiteTemplates.WriteSupraorbitalConcepts(folder);
            await using var world = await SigningTests.WorldAsync("full", more: o => o.App["App:Templates:Folder"] = folder);
            using var tab = await SurgeonTab.LaunchAsync(world);

            // Offered: a tick box among the nerves of the site's template.
            var page = new HtmlForm(await tab.Browser.GetStringAsync(new Uri($"{world.AppOrigin}/s/{tab.LaunchId}/note?template={SiteTemplates.Id}&fresh=1")));
            Assert.NotNull(page.Page.QuerySelector("input#f-son-left-treated.treated"));
            Assert.Contains("Left supraorbital nerve", page.Html, StringComparison.Ordinal);

            // Checked by its own copy of the rules (no block of this nerve on record), then previewed once a reason is given.
            var form = NotePageTests.FillLeftGreaterOccipitalNeurectomy(page)
                .Set("son-left-treated", "true")
                .Set("son-left-technique", page.Options("son-left-technique").First(o => o.Contains("|neurectomy|", StringComparison.Ordinal)))
                .Set("son-left-findings", page.FirstOption("son-left-findings"))
                .Set("son-left-segment-length", "8")
                .Set("son-left-stump", page.FirstOption("son-left-stump"))
                .Set("son-left-specimen-sent", "true");
            var refused = await PostFormAsync(world, tab, form);
            Assert.Contains("Left supraorbital nerve: no diagnostic block", refused.Html, StringComparison.Ordinal);
            var previewed = await PostFormAsync(world, tab, form.Set("son-left-block-reason", "Supraorbital trigger point confirmed by examination"));
            var preview = previewed.Page.QuerySelector("pre.preview")?.TextContent ?? "";
            Assert.Contains("Left supraorbital nerve", preview, StringComparison.Ordinal);

            // Filed: a Procedure of its own, coded from the site's concepts, on the left supraorbital nerve.
            var qr = await PopulateAsync(world, tab);
            NoteAnswers.CompleteCommon(qr);
            NoteAnswers.Neurectomy(qr, NoteAnswers.For(Nerve.GreaterOccipital, Side.Left));
            var supraorbital = NerveSides.Of(SiteTemplates.WithLeftSupraorbitalNerve(SiteTemplates.Build())).Single(n => n.Nerve.Code == SiteTemplates.Supraorbital);
            NoteAnswers.Neurectomy(qr, supraorbital, segmentMm: 8m);
            NoteAnswers.Set(qr, [LinkIds.Nerves, supraorbital.Group, "son-left-block-reason"], new FhirString("Supraorbital trigger point confirmed by examination"));
            qr.Identifier = new Identifier(Known.NoteIdentifierSystem, "note-site-nerve");
            qr.Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed;
            using var signed = await tab.SignAsync(qr);
            var status = await SurgeonTab.FinalAsync(tab, signed);
            Assert.True(status.GetProperty("status").GetString() == "written", status.ToString());
            var procedures = SignedNotes.Written<Procedure>(await SignedNotes.ChartAsync(world), "note-site-nerve");
            var filed = Assert.Single(procedures, p => p.BodySite.Any(b => b.Coding.Any(c => c.Code == SiteTemplates.Supraorbital)));
            Assert.Equal(SiteTemplates.SupraorbitalNeurectomy, filed.Code!.Coding.First().Code);
            Assert.Equal([SiteTemplates.Supraorbital, Known.Snomed.Left], filed.BodySite.Select(b => b.Coding.Single().Code));
            Assert.Contains(procedures, p => p.Code!.Coding.First().Code == Known.Codes.OccipitalNeurectomy);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<HtmlForm> PostFormAsync(SmartWorld world, SurgeonTab tab, HtmlForm form)
    {
        using var response = await tab.Browser.PostAsync(new Uri(world.AppOrigin + form.Action), form.Content());
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, html);
        return new HtmlForm(html);
    }

    private static async Task<QuestionnaireResponse> PopulateAsync(SmartWorld world, SurgeonTab tab)
    {
        using var request = Request(world, tab, $"/api/Questionnaire/{SiteTemplates.Id}/$populate", null);
        using var response = await tab.Browser.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return FormWorld.Parse<QuestionnaireResponse>(body);
    }

    private static async Task<OperationOutcome> CheckAsync(SmartWorld world, SurgeonTab tab, QuestionnaireResponse qr)
    {
        using var request = Request(world, tab, "/api/notes/$check", new FhirJsonSerializer().SerializeToString(qr));
        using var response = await tab.Browser.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return FormWorld.Parse<OperationOutcome>(body);
    }

    private static HttpRequestMessage Request(SmartWorld world, SurgeonTab tab, string path, string? body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, world.AppOrigin + path);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/fhir+json");
        request.Headers.Add("X-CSRF-Token", tab.Csrf);
        request.Headers.Add("X-Launch-Id", tab.LaunchId);
        return request;
    }
}
