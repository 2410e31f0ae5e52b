using System.Net;
using System.Text;
using Hl7.Fhir.Model;

namespace Sandbox.Ehr.Tests.Fhir;

[Collection(FullModeCollection.Name)]
public class BadInputTests(FullModeServer fixture)
{
    private readonly SandboxServer _server = fixture.Server;

    private async Task<FhirResponse> SendRawAsync(HttpMethod method, string url, string body, string contentType = "application/fhir+json")
    {
        var request = await _server.RequestAsync(method, url);
        request.Content = new StringContent(body, Encoding.UTF8);
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        return await _server.SendAsync(request);
    }

    private async Task<(Patient Patient, string Json)> StoredAsync()
    {
        var patient = await _server.CreateAsync(Make.Patient(family: "Unchanged"));
        return (patient, (await _server.GetAsync($"Patient/{patient.Id}")).Body);
    }

    private async System.Threading.Tasks.Task AssertUnchangedAsync((Patient Patient, string Json) stored)
    {
        var now = await _server.GetAsync($"Patient/{stored.Patient.Id}");
        Assert.Equal(stored.Json, now.Body);
        Assert.Equal("W/\"1\"", now.Headers.ETag?.ToString());
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("{\"resourceType\":\"Patient\",\"id\":\"ID\",\"name\":[{\"family\":\"X\"}],\"unknownElement\":true}")]
    [InlineData("{\"resourceType\":\"Patient\",\"id\":\"ID\",\"birthDate\":\"not-a-date\"}")]
    [InlineData("{\"resourceType\":\"Patient\",\"id\":\"ID\",\"gender\":\"unicorn\"}")]
    [InlineData("[1,2,3]")]
    [InlineData("")]
    public async System.Threading.Tasks.Task A_bad_body_is_400_and_leaves_the_stored_resource_unchanged(string body)
    {
        var stored = await StoredAsync();

        var response = await SendRawAsync(HttpMethod.Put, $"Patient/{stored.Patient.Id}", body.Replace("ID", stored.Patient.Id, StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal(OperationOutcome.IssueSeverity.Error, response.Outcome.Issue[0].Severity);
        Assert.DoesNotContain("   at ", response.Body, StringComparison.Ordinal);
        await AssertUnchangedAsync(stored);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_resource_of_the_wrong_type_for_the_url_is_400()
    {
        var stored = await StoredAsync();
        var observation = new Observation { Id = stored.Patient.Id, Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "1") };

        var put = await _server.SendAsync(HttpMethod.Put, $"Patient/{stored.Patient.Id}", observation);
        var post = await _server.SendAsync(HttpMethod.Post, "Patient", observation);

        Assert.Equal(HttpStatusCode.BadRequest, put.Status);
        Assert.Equal(HttpStatusCode.BadRequest, post.Status);
        await AssertUnchangedAsync(stored);
    }

    [Fact]
    public async System.Threading.Tasks.Task An_update_whose_body_id_differs_from_the_url_is_400()
    {
        var stored = await StoredAsync();
        var other = Make.Patient("someone-else", family: "Changed");

        var response = await _server.SendAsync(HttpMethod.Put, $"Patient/{stored.Patient.Id}", other);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        await AssertUnchangedAsync(stored);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.GetAsync("Patient/someone-else")).Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_body_over_the_limit_is_413_and_stores_nothing()
    {
        var stored = await StoredAsync();
        var huge = Make.Patient(stored.Patient.Id, family: new string('x', 1_100_000));

        var response = await _server.SendAsync(HttpMethod.Put, $"Patient/{stored.Patient.Id}", huge);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.Status);
        Assert.Equal(OperationOutcome.IssueType.TooLong, response.Outcome.Issue[0].Code);
        await AssertUnchangedAsync(stored);
    }

    [Fact]
    public async System.Threading.Tasks.Task Xml_is_refused_with_406_for_responses_and_415_for_bodies()
    {
        var xmlAccept = await _server.RequestAsync(HttpMethod.Get, "Patient");
        xmlAccept.Headers.Accept.Clear();
        xmlAccept.Headers.Accept.ParseAdd("application/fhir+xml");

        var accept = await _server.SendAsync(xmlAccept);
        var format = await _server.GetAsync("Patient?_format=xml");
        var body = await SendRawAsync(HttpMethod.Post, "Patient", "<Patient xmlns=\"http://hl7.org/fhir\"/>", "application/fhir+xml");
        var json = await _server.GetAsync("Patient?_format=json&_count=1");

        Assert.Equal(HttpStatusCode.NotAcceptable, accept.Status);
        Assert.Equal(HttpStatusCode.NotAcceptable, format.Status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, body.Status);
        Assert.Equal(HttpStatusCode.OK, json.Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task Plain_application_json_is_accepted()
    {
        var response = await SendRawAsync(HttpMethod.Post, "Patient", "{\"resourceType\":\"Patient\",\"active\":true}", "application/json");
        Assert.Equal(HttpStatusCode.Created, response.Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task An_unknown_resource_type_is_404_and_an_unsupported_method_is_405()
    {
        var unknown = await _server.GetAsync("NotAType/1");
        var patch = await _server.SendAsync(HttpMethod.Patch, "Patient/1");

        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.IsType<OperationOutcome>(unknown.Resource);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, patch.Status);
        Assert.IsType<OperationOutcome>(patch.Resource);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_bundle_of_another_type_at_the_base_is_400()
    {
        var response = await _server.SendAsync(HttpMethod.Post, "/fhir", new Bundle { Type = Bundle.BundleType.Collection });
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        var notBundle = await _server.SendAsync(HttpMethod.Post, "/fhir", Make.Patient());
        Assert.Equal(HttpStatusCode.BadRequest, notBundle.Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task Hostile_strings_are_stored_faithfully_and_searched_as_data()
    {
        var hostile = "<script>alert('x')</script>'; DROP TABLE resource; --" + Make.NewId();
        var big = new string('é', 200_000);
        var patient = await _server.CreateAsync(new Patient { Name = [new HumanName { Family = hostile, Given = [big] }] });

        var read = Assert.IsType<Patient>((await _server.GetAsync($"Patient/{patient.Id}")).Resource);
        var byFamily = await _server.SearchAsync($"Patient?family:exact={Uri.EscapeDataString(hostile)}");
        var injection = await _server.SearchAsync($"Patient?family={Uri.EscapeDataString("' OR 1=1 --")}");

        Assert.Equal(hostile, read.Name[0].Family);
        Assert.Equal(big, read.Name[0].Given.Single());
        Assert.Equal(patient.Id, byFamily.Entry.Single().Resource?.Id);
        Assert.Equal(0, injection.Total);
        Assert.Equal(HttpStatusCode.OK, (await _server.GetAsync("Patient?_count=1")).Status);
    }
}
