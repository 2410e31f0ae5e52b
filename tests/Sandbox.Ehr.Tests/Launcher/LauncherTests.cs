using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Sandbox.Ehr.Tests.Auth;
using Task = System.Threading.Tasks.Task;

namespace Sandbox.Ehr.Tests.Launcher;

[Collection(SandboxCollection.Name)]
public class LauncherTests(SandboxFixture fixture)
{
    private SandboxServer Server => fixture.Server;

    [Fact]
    public async Task The_launcher_lists_practitioners_patients_encounters_and_the_standalone_link()
    {
        using var browser = Server.CreateClient();
        var response = await browser.GetAsync(new Uri("/launcher", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        var text = WebUtility.HtmlDecode(html);

        Assert.All(["surgeon-1", "surgeon-2", "resident-1", "classic-left", "bilateral", "laterality-trap", "unrelated", "long-history", "odd-data"],
            id => Assert.Contains($"value=\"{id}\"", html, StringComparison.Ordinal));
        Assert.Contains("value=\"classic-left-surgery\"", html, StringComparison.Ordinal);
        Assert.Contains("Ελένη Παπαδοπούλου", text, StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1:5090/launch?iss=" + Uri.EscapeDataString(Server.FhirBase), text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_chart_encodes_hostile_text_from_the_record()
    {
        using var browser = Server.CreateClient();
        var response = await browser.GetAsync(new Uri("/launcher/patient/odd-data", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();

        Assert.DoesNotContain("<script>", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>bold", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        var text = WebUtility.HtmlDecode(html);
        Assert.Contains("<script>alert(1)</script> occipital headache, \"quotes' & ampersands\"", text, StringComparison.Ordinal);
        Assert.Contains("<b>bold</b> physiotherapy", text, StringComparison.Ordinal);
        Assert.Contains("Ελένη Παπαδοπούλου", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_chart_as_fhir_is_a_searchset_of_the_patient_compartment()
    {
        using var browser = Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/launcher/patient/classic-left", UriKind.Relative));
        request.Headers.Accept.ParseAdd("application/fhir+json");
        var response = await browser.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);

        var bundle = new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<Bundle>(await response.Content.ReadAsStringAsync());
        Assert.Equal(Bundle.BundleType.Searchset, bundle.Type);
        Assert.Equal(bundle.Entry.Count, bundle.Total);
        var resources = bundle.Entry.Select(entry => entry.Resource).ToList();
        Assert.Equal("classic-left", Assert.IsType<Patient>(resources[0]).Id);
        Assert.Contains(resources, resource => resource is Encounter { Id: "classic-left-surgery" });
        Assert.Equal(3, resources.OfType<Procedure>().Count());
        Assert.Equal(2, resources.OfType<Observation>().Count());
        Assert.Single(resources.OfType<DiagnosticReport>());
        Assert.Single(resources.OfType<MedicationRequest>());
        Assert.All(resources.Skip(1), resource => Assert.StartsWith("classic-left-", resource?.Id ?? "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unknown_patient_chart_is_not_found_and_a_bad_launch_gets_an_operation_outcome()
    {
        using var browser = Server.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync(new Uri("/launcher/patient/nobody", UriKind.Relative))).StatusCode);

        var launch = await browser.GetAsync(new Uri("/launcher/launch?practitioner=surgeon-1&patient=%3Cscript%3E", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, launch.StatusCode);
        var outcome = new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<OperationOutcome>(await launch.Content.ReadAsStringAsync());
        Assert.Equal(OperationOutcome.IssueSeverity.Error, outcome.Issue.Single().Severity);
    }
}
