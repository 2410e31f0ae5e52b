using System.Net;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Evidence;
using Rhizotomy.Core.Prefill;
using Rhizotomy.Core.Templates;
using Microsoft.Extensions.DependencyInjection;
using Sandbox.Ehr.Fhir;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.WriteBack;

/// <summary>One launched browser of the surgeon: its cookie jar, launch id and CSRF token.</summary>
public sealed class SurgeonTab(HttpClient browser, string appOrigin, string launchId, string csrf) : IDisposable
{
    public HttpClient Browser { get; } = browser;
    public string LaunchId { get; } = launchId;
    public string Csrf { get; } = csrf;

    public static async Task<SurgeonTab> LaunchAsync(SmartWorld world, string patient = "test-classic-left", string? encounter = "test-classic-left-surgery")
    {
        var browser = SmartWorld.Browser();
        var page = await browser.GetAsync(world.LaunchUrl(patient, "test-surgeon", encounter));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        using var context = await browser.GetAsync(new Uri(world.AppOrigin + "/api/context"));
        var json = await SmartWorld.JsonAsync(context);
        return new SurgeonTab(browser, world.AppOrigin, json.GetProperty("launchId").GetString()!, json.GetProperty("csrfToken").GetString()!);
    }

    public async Task<HttpResponseMessage> SignAsync(QuestionnaireResponse response) => await SignAsync(new FhirJsonSerializer().SerializeToString(response));

    public async Task<HttpResponseMessage> SignAsync(string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, appOrigin + "/api/notes")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/fhir+json"),
        };
        request.Headers.Add("X-CSRF-Token", Csrf);
        request.Headers.Add("X-Launch-Id", LaunchId);
        return await Browser.SendAsync(request);
    }

    /// <summary>
    /// The note's status once the EHR has answered: the sign answer when it was final (201, 422),
    /// else (202: the first attempt outlasted the request's wait, as on a busy machine) the polled status.
    /// </summary>
    public static async Task<JsonElement> FinalAsync(SurgeonTab tab, HttpResponseMessage signed)
    {
        var body = await SmartWorld.JsonAsync(signed);
        Assert.True(signed.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted or HttpStatusCode.UnprocessableEntity, $"{signed.StatusCode}: {body}");
        return signed.StatusCode == HttpStatusCode.Accepted ? await tab.SettledAsync(body.GetProperty("id").GetString()!) : body;
    }

    public async Task<JsonElement> StatusAsync(string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, appOrigin + "/api/notes/" + id);
        request.Headers.Add("X-Launch-Id", LaunchId);
        using var response = await Browser.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await SmartWorld.JsonAsync(response);
    }

    /// <summary>Polls the note's status until it is no longer pending (generous timeout; no timing is asserted).</summary>
    public async Task<JsonElement> SettledAsync(string id, TimeSpan? timeout = null, string? until = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            var status = await StatusAsync(id);
            var s = status.GetProperty("status").GetString();
            if (until is null ? s != "pending" : s == until)
                return status;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Note {id} still {s} after the timeout: {status}");
            await Task.Delay(100);
        }
    }

    public void Dispose() => Browser.Dispose();
}

/// <summary>Completed operative-note responses, filled the way a surgeon fills the form.</summary>
public static class SignedNotes
{
    public static Questionnaire NeurectomyTemplate { get; } = TemplateDefinitions.Build(Technique.Neurectomy);

    public static CaseEvidence Evidence { get; } = CaseEvidenceBuilder.Build(Charts.ClassicLeft());

    /// <summary>A left greater occipital neurectomy, no complications, with the note id <paramref name="noteId"/>.</summary>
    public static QuestionnaireResponse LeftNeurectomy(string noteId)
    {
        var launch = new LaunchContext(new Ref("Patient/test-classic-left"), new Ref("Encounter/test-classic-left-surgery"),
            new Ref("Practitioner/test-surgeon"), DateTimeOffset.UtcNow, noteId);
        var qr = Populator.Populate(NeurectomyTemplate, launch, Evidence);
        NoteAnswers.CompleteCommon(qr);
        NoteAnswers.Neurectomy(qr, LinkIds.For(Nerve.GreaterOccipital, Side.Left));
        qr.Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed;
        return qr;
    }

    /// <summary>Every resource of the types the app writes that the sandbox holds (read from its own store, all patients).</summary>
    public static async Task<List<Resource>> ChartAsync(SmartWorld world)
    {
        var store = world.Sandbox.Services.GetRequiredService<IFhirStore>();
        var all = new List<Resource>();
        foreach (var type in new[] { "Procedure", "Composition", "DocumentReference", "QuestionnaireResponse", "Provenance" })
            all.AddRange(await store.SearchAsync(type, "_count=500"));
        return all;
    }

    /// <summary>Resources the app wrote (they carry the note identifier system), by type.</summary>
    public static List<T> Written<T>(IEnumerable<Resource> chart, string? noteId = null) where T : Resource =>
        [.. chart.OfType<T>().Where(r => NoteIds(r).Any(id => noteId is null ? true : id.StartsWith(noteId, StringComparison.Ordinal)))];

    public static IEnumerable<string> NoteIds(Resource r) => r switch
    {
        Procedure p => p.Identifier.Where(i => i.System == Known.NoteIdentifierSystem).Select(i => i.Value!),
        Composition c => c.Identifier?.System == Known.NoteIdentifierSystem ? [c.Identifier.Value!] : [],
        DocumentReference d => d.Identifier.Where(i => i.System == Known.NoteIdentifierSystem).Select(i => i.Value!),
        QuestionnaireResponse q => q.Identifier?.System == Known.NoteIdentifierSystem ? [q.Identifier.Value!] : [],
        Provenance v => v.Meta?.Tag.Where(t => t.System == Known.NoteIdentifierSystem).Select(t => t.Code!) ?? [],
        _ => [],
    };
}
