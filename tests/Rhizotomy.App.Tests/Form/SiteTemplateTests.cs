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
