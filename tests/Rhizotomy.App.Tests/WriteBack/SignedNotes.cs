using System.Net;
using System.Net.Http.Headers;
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
        request.Headers.Add("X-CSRF-Token", csrf);
        request.Headers.Add("X-Launch-Id", LaunchId);
        return await Browser.SendAsync(request);
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
        Set(qr, [LinkIds.Consent, LinkIds.ConsentObtained], new FhirBoolean(true));
        Set(qr, [LinkIds.Consent, LinkIds.RisksDiscussed], Project(Known.Codes.ScalpNumbness), Project(Known.Codes.Infection), Project(Known.Codes.Bleeding));
        Set(qr, [LinkIds.Approach, LinkIds.Incision], new FhirString("3 cm transverse incision below the occipital hairline"));
        Set(qr, [LinkIds.Approach, LinkIds.Magnification], Project(Known.Codes.OperatingMicroscope));
        Set(qr, [LinkIds.Implants], new FhirString(TemplateAnswers.None));
        Set(qr, [LinkIds.Drains], new FhirString(TemplateAnswers.None));
        Set(qr, [LinkIds.Complications, LinkIds.Complication], Project(Known.Codes.NoComplications));
        Set(qr, [LinkIds.EstimatedBloodLoss], new FhirDecimal(15m));
        Set(qr, [LinkIds.Disposition], Project(Known.Codes.DispositionHomeSameDay));
        Set(qr, [LinkIds.Plan, LinkIds.PlanPain], new FhirString("Paracetamol and ibuprofen for 5 days"));
        Set(qr, [LinkIds.Plan, LinkIds.PlanWound], new FhirString("Keep the wound dry for 48 hours"));
        Set(qr, [LinkIds.Plan, LinkIds.PlanActivity], new FhirString("Gradual return to normal activity over 2 weeks"));
        Set(qr, [LinkIds.Plan, LinkIds.FollowUp], new FhirString("Clinic in 2 weeks"));
        Set(qr, [LinkIds.Performed, LinkIds.PerformedStart], new FhirDateTime("2026-11-20T09:00:00+01:00"));
        Set(qr, [LinkIds.Performed, LinkIds.PerformedEnd], new FhirDateTime("2026-11-20T10:30:00+01:00"));
        var n = LinkIds.For(Nerve.GreaterOccipital, Side.Left);
        Set(qr, [LinkIds.Nerves, n.Group, n.Treated], new FhirBoolean(true));
        Set(qr, [LinkIds.Nerves, n.Group, n.Technique], Project(Known.Codes.Neurectomy));
        Set(qr, [LinkIds.Nerves, n.Group, n.Findings], Project(Known.Codes.FindingEntrapped), Project(Known.Codes.FindingThickened));
        Set(qr, [LinkIds.Nerves, n.Group, n.SegmentLength], new FhirDecimal(10m));
        Set(qr, [LinkIds.Nerves, n.Group, n.Stump], Project(Known.Codes.StumpBuriedInMuscle));
        Set(qr, [LinkIds.Nerves, n.Group, n.SpecimenSent], new FhirBoolean(true));
        qr.Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed;
        return qr;
    }

    public static Coding Project(string code) => new(Known.ProjectCodeSystem, code, Known.Concepts.Single(c => c.Code == code).Display);

    public static void Set(QuestionnaireResponse qr, string[] path, params DataType[] values)
    {
        var items = qr.Item;
        QuestionnaireResponse.ItemComponent? item = null;
        foreach (var linkId in path)
        {
            item = items.FirstOrDefault(i => i.LinkId == linkId);
            if (item is null)
            {
                item = new QuestionnaireResponse.ItemComponent { LinkId = linkId };
                items.Add(item);
            }
            items = item.Item;
        }
        item!.Answer.Clear();
        item.Answer.AddRange(values.Select(v => new QuestionnaireResponse.AnswerComponent { Value = v }));
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
