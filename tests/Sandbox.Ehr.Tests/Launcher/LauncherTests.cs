using System.Net;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
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
    public async Task The_chart_shows_the_text_of_a_written_note_its_composition_sections_and_provenance_as_text()
    {
        var store = Server.Services.GetRequiredService<Sandbox.Ehr.Fhir.IFhirStore>();
        var patient = new Patient { Id = "chart-written", Name = [new HumanName { Family = "Written", Given = ["Chart"] }] };
        var document = new DocumentReference
        {
            Id = "chart-written-doc",
            Status = DocumentReferenceStatus.Current,
            Subject = new ResourceReference("Patient/chart-written"),
            Type = new CodeableConcept("http://loinc.org", "11504-8", "Surgical operation note"),
            Content =
            [
                new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "text/plain", Data = System.Text.Encoding.UTF8.GetBytes("PROCEDURE\n<script>alert(2)</script> Coagulation of the left greater occipital nerve") } },
                new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "text/html", Data = System.Text.Encoding.UTF8.GetBytes("<p><img src=x onerror=alert(3)>html rendering</p>") } },
            ],
        };
        var composition = new Composition
        {
            Id = "chart-written-composition",
            Status = CompositionStatus.Final,
            Subject = new ResourceReference("Patient/chart-written"),
            Type = new CodeableConcept("http://loinc.org", "11504-8"),
            Date = "2026-11-27",
            Title = "Operative note",
            Author = [new ResourceReference("Practitioner/surgeon-1") { Display = "Dr. Test" }],
            Section = [new Composition.SectionComponent { Title = "Complications", Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>No <b>complications</b></p></div>" } }],
        };
        var provenance = new Provenance
        {
            Id = "chart-written-provenance",
            Target = [new ResourceReference("DocumentReference/chart-written-doc")],
            Recorded = new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero),
            Agent = [new Provenance.AgentComponent { Who = new ResourceReference("Practitioner/surgeon-1") { Display = "Dr. Signer" } }],
        };
        var transaction = new Bundle { Type = Bundle.BundleType.Transaction };
        foreach (Resource resource in new Resource[] { patient, document, composition, provenance })
            transaction.Entry.Add(new Bundle.EntryComponent { Resource = resource, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = resource.TypeName + "/" + resource.Id } });
        await store.TransactionAsync(transaction);

        using var browser = Server.CreateClient();
        var html = await browser.GetStringAsync(new Uri("/launcher/patient/chart-written", UriKind.Relative));

        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>complications", html, StringComparison.Ordinal);
        var text = WebUtility.HtmlDecode(html);
        Assert.Contains("<pre>PROCEDURE\n<script>alert(2)</script> Coagulation of the left greater occipital nerve</pre>", text, StringComparison.Ordinal);
        Assert.DoesNotContain("html rendering", text, StringComparison.Ordinal);
        Assert.Contains("Complications · No complications", text, StringComparison.Ordinal);
        Assert.Contains("author Dr. Test", text, StringComparison.Ordinal);
        Assert.Contains("Provenance (1)", text, StringComparison.Ordinal);
        Assert.Contains("Dr. Signer · targets: DocumentReference/chart-written-doc", text, StringComparison.Ordinal);
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
        Assert.Equal(4, resources.OfType<Observation>().Count()); // relief of each block, and pain scores before and after the second
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

    [Fact]
    public async Task An_encounter_launch_takes_the_patient_from_the_encounter_and_refuses_a_mismatch()
    {
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var launched = await browser.GetAsync(new Uri("/launcher/launch?practitioner=surgeon-2&encounter=bilateral-surgery", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, launched.StatusCode);
        var launch = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(launched.Headers.Location!.Query)["launch"].ToString();
        var code = await app.AuthorizeForCodeAsync(app.AuthorizeParameters("launch patient/*.rs", launch));
        var token = await SmartAppDriver.ExpectAsync(await app.RedeemAsync(code), HttpStatusCode.OK);
        Assert.Equal("bilateral", token.GetProperty("patient").GetString());
        Assert.Equal("bilateral-surgery", token.GetProperty("encounter").GetString());

        var mismatch = await browser.GetAsync(new Uri("/launcher/launch?practitioner=surgeon-2&patient=classic-left&encounter=bilateral-surgery", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
        var unknownPractitioner = await browser.GetAsync(new Uri("/launcher/launch?practitioner=nobody&patient=classic-left", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, unknownPractitioner.StatusCode);
    }
}

/// <summary>The in-process test server has no client address: a caller that cannot be shown to be local.</summary>
public class LauncherNonLoopbackTests
{
    [Fact]
    public async Task A_chart_request_not_from_a_loopback_address_is_refused()
    {
        await using var factory = new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<SandboxEntry>()
            .WithWebHostBuilder(builder => builder.UseSetting("Sandbox:Storage", "memory").UseSetting("Serilog:MinimumLevel:Default", "Warning"));
        using var client = factory.CreateClient();

        var response = await client.GetAsync(new Uri("/launcher/patient/classic-left", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain("Ellison", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
