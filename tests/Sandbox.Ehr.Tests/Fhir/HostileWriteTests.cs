using System.Net;
using System.Text.Json;
using Hl7.Fhir.Model;
using Sandbox.Ehr.Fhir;
using Task = System.Threading.Tasks.Task;

namespace Sandbox.Ehr.Tests.Fhir;

/// <summary>Links never follow a forged <c>Host</c> header; narrative that a browser would run is refused.</summary>
[Collection(FullModeCollection.Name)]
public class HostileWriteTests(FullModeServer fixture)
{
    private const string ForgedHost = "evil.example:8443";

    private readonly SandboxServer _server = fixture.Server;

    private async Task<FhirResponse> WithForgedHostAsync(HttpMethod method, string url, Resource? body = null)
    {
        var request = await _server.RequestAsync(method, url, body);
        request.Headers.Host = ForgedHost;
        return await _server.SendAsync(request);
    }

    /// <summary>A new patient (stored) and a Condition of theirs (not stored) whose narrative is <paramref name="div"/>.</summary>
    private async Task<(string PatientId, Condition Condition)> ConditionWithNarrativeAsync(string div)
    {
        var patient = Make.Patient(Make.NewId());
        await _server.PutAsync(patient);
        var condition = Make.Condition(patient.Id!);
        condition.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = div };
        return (patient.Id!, condition);
    }

    [Fact]
    public async Task Location_fullUrl_and_links_use_the_servers_own_base_not_the_Host_header()
    {
        var patient = Make.Patient(Make.NewId());
        await _server.PutAsync(patient);

        var created = await WithForgedHostAsync(HttpMethod.Post, "Condition", Make.Condition(patient.Id!));
        var search = await WithForgedHostAsync(HttpMethod.Get, $"Condition?patient={patient.Id}&_count=1");
        var history = await WithForgedHostAsync(HttpMethod.Get, $"Condition/{created.Resource!.Id}/_history");
        var transaction = await WithForgedHostAsync(HttpMethod.Post, "/fhir", new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry = [new() { Resource = Make.Condition(patient.Id!), Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Condition" } }],
        });

        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.StartsWith(_server.FhirBase + "/Condition/", created.Headers.Location!.ToString(), StringComparison.Ordinal);
        var bundle = Assert.IsType<Bundle>(search.Resource);
        Assert.All(bundle.Link, link => Assert.StartsWith(_server.FhirBase + "/", link.Url, StringComparison.Ordinal));
        Assert.All(bundle.Entry, entry => Assert.StartsWith(_server.FhirBase + "/", entry.FullUrl, StringComparison.Ordinal));
        Assert.All(Assert.IsType<Bundle>(history.Resource).Link, link => Assert.StartsWith(_server.FhirBase + "/", link.Url, StringComparison.Ordinal));
        Assert.StartsWith(_server.FhirBase + "/", Assert.IsType<Bundle>(transaction.Resource).Entry[0].Response!.Location, StringComparison.Ordinal);
        foreach (var body in new[] { created.Body, search.Body, history.Body, transaction.Body })
        {
            Assert.DoesNotContain("evil.example", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Metadata_discovery_and_the_launcher_do_not_echo_the_Host_header()
    {
        foreach (var url in new[] { "/fhir/metadata", "/fhir/.well-known/smart-configuration", "/launcher", "/.well-known/openid-configuration" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Host = ForgedHost;
            using var response = await _server.Http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.DoesNotContain("evil.example", body, StringComparison.Ordinal);
            Assert.Contains(_server.Origin.GetLeftPart(UriPartial.Authority), body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_loopback_alias_of_the_listening_address_is_kept()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/fhir/.well-known/smart-configuration");
        request.Headers.Host = "localhost:" + _server.Origin.Port;
        using var response = await _server.Http.SendAsync(request);

        var issuer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("issuer").GetString();

        Assert.Equal($"http://localhost:{_server.Origin.Port}/", issuer);
    }

    public static TheoryData<string> HostileNarratives =>
    [
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>alert(1)</script></div>",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><img src=\"x.png\" onerror=\"alert(1)\"/></div>",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p onclick=\"alert(1)\">Click</p></div>",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"javascript:alert(1)\">x</a></div>",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\" JaVa&#x09;Script:alert(1)\">x</a></div>",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><iframe src=\"https://evil.example\"></iframe></div>",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><form action=\"https://evil.example\"><input name=\"a\"/></form></div>",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p style=\"background:url(javascript:alert(1))\">x</p></div>",
    ];

    [Theory]
    [MemberData(nameof(HostileNarratives))]
    public async Task Narrative_with_script_or_disallowed_content_is_refused_with_400(string div)
    {
        var (patientId, condition) = await ConditionWithNarrativeAsync(div);
        var composition = new Composition
        {
            Status = CompositionStatus.Final,
            Type = new CodeableConcept("http://loinc.org", "11504-8"),
            Subject = new ResourceReference("Patient/" + patientId),
            Date = "2026-01-01",
            Author = [new ResourceReference("Practitioner/" + RealTokens.PractitionerId)],
            Title = "Operative note",
            Section = [new Composition.SectionComponent { Title = "Procedure", Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = div } }],
        };

        var create = await _server.SendAsync(HttpMethod.Post, "Condition", condition);
        var inSection = await _server.SendAsync(HttpMethod.Post, "Composition", composition);
        var transaction = await _server.SendAsync(HttpMethod.Post, "/fhir", new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry = [new() { Resource = condition, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Condition" } }],
        });

        foreach (var response in new[] { create, inSection, transaction })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.Status);
            Assert.Contains("narrative", response.Outcome.Issue[0].Diagnostics, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Equal(0, (await _server.SearchAsync($"Condition?patient={patientId}")).Total);
    }

    public static TheoryData<string> MalformedNarratives =>
    [
        "<!DOCTYPE div [<!ENTITY x \"xx\">]><div xmlns=\"http://www.w3.org/1999/xhtml\">&x;</div>",
        "<!DOCTYPE div [<!ENTITY ext SYSTEM \"file:///etc/passwd\">]><div xmlns=\"http://www.w3.org/1999/xhtml\">&ext;</div>",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>unclosed</div>",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><svg><script>alert(1)</script></svg></div>",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><object data=\"x.swf\"></object></div>",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p xmlns:x=\"urn:x\" x:onload=\"alert(1)\">x</p></div>",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><base href=\"https://evil.example/\"/></div>",
        "<body><div xmlns=\"http://www.w3.org/1999/xhtml\">x</div></body>",
        "plain text, not xhtml",
    ];

    [Theory]
    [MemberData(nameof(MalformedNarratives))]
    public async Task Malformed_or_hostile_narrative_is_a_400_never_a_500_and_stores_nothing(string div)
    {
        var (patientId, condition) = await ConditionWithNarrativeAsync(div);

        var response = await _server.SendAsync(HttpMethod.Post, "Condition", condition);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.DoesNotContain("root:", response.Body, StringComparison.Ordinal);
        Assert.Equal(0, (await _server.SearchAsync($"Condition?patient={patientId}")).Total);
    }

    [Fact]
    public async Task Plain_formatted_narrative_is_accepted()
    {
        var (_, condition) = await ConditionWithNarrativeAsync(
            "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p><b>Left</b> greater occipital nerve, 80&#37; relief &amp; <a href=\"https://example.org/x\">link</a></p><table><tr><td class=\"x\" style=\"color:red\">°C</td></tr></table></div>");

        Assert.Equal(HttpStatusCode.Created, (await _server.SendAsync(HttpMethod.Post, "Condition", condition)).Status);
    }

    [Fact]
    public void The_compartment_definition_names_only_reference_search_parameters()
    {
        var definition = PatientCompartment.Definition;

        Assert.Equal("http://hl7.org/fhir/CompartmentDefinition/patient", definition.Url);
        Assert.NotEmpty(definition.Resource);
        foreach (var resource in definition.Resource)
        {
            var type = Hl7.Fhir.Utility.EnumUtility.GetLiteral(resource.Code)!;
            foreach (var param in resource.Param.OfType<string>())
            {
                Assert.True(SearchParameters.Find(type, param) is { Kind: IndexKind.Reference }, $"{type}.{param} is not a reference search parameter");
            }
        }
        Assert.Equal(["actor"], PatientCompartment.Params("Appointment"));
        Assert.Equal(["patient"], PatientCompartment.Params("Provenance"));
    }
}
