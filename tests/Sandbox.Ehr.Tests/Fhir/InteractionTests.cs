using System.Net;
using Hl7.Fhir.Model;

namespace Sandbox.Ehr.Tests.Fhir;

[Collection(FullModeCollection.Name)]
public class InteractionTests(FullModeServer fixture)
{
    private readonly SandboxServer _server = fixture.Server;

    [Fact]
    public async System.Threading.Tasks.Task Create_answers_201_with_location_etag_and_last_modified()
    {
        var response = await _server.SendAsync(HttpMethod.Post, "Patient", Make.Patient());

        Assert.Equal(HttpStatusCode.Created, response.Status);
        var patient = Assert.IsType<Patient>(response.Resource);
        Assert.Equal($"{_server.FhirBase}/Patient/{patient.Id}/_history/1", response.Headers.Location?.ToString());
        Assert.Equal("W/\"1\"", response.Headers.ETag?.ToString());
        Assert.NotNull(response.ContentHeaders.LastModified);
        Assert.Equal("1", patient.Meta!.VersionId);
    }

    [Fact]
    public async System.Threading.Tasks.Task Create_ignores_a_client_id_in_the_body()
    {
        var created = await _server.CreateAsync(Make.Patient(id: "client-chosen"));
        Assert.NotEqual("client-chosen", created.Id);
    }

    [Fact]
    public async System.Threading.Tasks.Task Read_returns_the_stored_resource_and_its_version_headers()
    {
        var created = await _server.CreateAsync(Make.Patient(family: "Readable"));

        var response = await _server.GetAsync($"Patient/{created.Id}");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("Readable", Assert.IsType<Patient>(response.Resource).Name[0].Family);
        Assert.Equal("W/\"1\"", response.Headers.ETag?.ToString());
        Assert.StartsWith("application/fhir+json", response.ContentHeaders.ContentType?.ToString());
    }

    [Fact]
    public async System.Threading.Tasks.Task Reading_an_unknown_id_is_404_with_an_outcome()
    {
        var response = await _server.GetAsync("Patient/does-not-exist");
        Assert.Equal(HttpStatusCode.NotFound, response.Status);
        Assert.Equal(OperationOutcome.IssueType.NotFound, response.Outcome.Issue[0].Code);
    }

    [Fact]
    public async System.Threading.Tasks.Task Update_makes_a_new_version_and_vread_and_history_show_both()
    {
        var created = await _server.CreateAsync(Make.Patient(family: "Before"));
        created.Name[0].Family = "After";

        var updated = await _server.SendAsync(HttpMethod.Put, $"Patient/{created.Id}", created);
        Assert.Equal(HttpStatusCode.OK, updated.Status);
        Assert.Equal("W/\"2\"", updated.Headers.ETag?.ToString());

        var first = await _server.GetAsync($"Patient/{created.Id}/_history/1");
        Assert.Equal("Before", Assert.IsType<Patient>(first.Resource).Name[0].Family);
        var history = Assert.IsType<Bundle>((await _server.GetAsync($"Patient/{created.Id}/_history")).Resource);
        Assert.Equal(Bundle.BundleType.History, history.Type);
        Assert.Equal(["2", "1"], history.Entry.Select(e => e.Resource!.Meta!.VersionId));
    }

    [Fact]
    public async System.Threading.Tasks.Task Update_with_a_new_client_id_creates_the_resource()
    {
        var id = Make.NewId();
        var response = await _server.SendAsync(HttpMethod.Put, $"Patient/{id}", Make.Patient(id));
        Assert.Equal(HttpStatusCode.Created, response.Status);
        Assert.Equal(id, (await _server.GetAsync($"Patient/{id}")).Resource?.Id);
    }

    [Fact]
    public async System.Threading.Tasks.Task Update_with_a_stale_If_Match_is_412_and_changes_nothing()
    {
        var created = await _server.CreateAsync(Make.Patient(family: "Original"));
        created.Name[0].Family = "Changed";
        var request = await _server.RequestAsync(HttpMethod.Put, $"Patient/{created.Id}", created);
        request.Headers.TryAddWithoutValidation("If-Match", "W/\"7\"");

        var response = await _server.SendAsync(request);

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.Status);
        Assert.Equal("Original", Assert.IsType<Patient>((await _server.GetAsync($"Patient/{created.Id}")).Resource).Name[0].Family);
    }

    [Fact]
    public async System.Threading.Tasks.Task Update_with_the_current_If_Match_succeeds()
    {
        var created = await _server.CreateAsync(Make.Patient());
        var request = await _server.RequestAsync(HttpMethod.Put, $"Patient/{created.Id}", created);
        request.Headers.TryAddWithoutValidation("If-Match", "W/\"1\"");
        Assert.Equal(HttpStatusCode.OK, (await _server.SendAsync(request)).Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_deleted_resource_reads_as_410_gone()
    {
        var created = await _server.CreateAsync(Make.Patient());

        var deleted = await _server.SendAsync(HttpMethod.Delete, $"Patient/{created.Id}");
        var read = await _server.GetAsync($"Patient/{created.Id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        Assert.Equal(HttpStatusCode.Gone, read.Status);
        Assert.Equal(OperationOutcome.IssueType.Deleted, read.Outcome.Issue[0].Code);
        Assert.Empty((await _server.SearchAsync($"Patient?_id={created.Id}")).Entry);
    }

    [Fact]
    public async System.Threading.Tasks.Task Conditional_create_creates_once_then_returns_the_match_then_refuses_ambiguity()
    {
        var mrn = Make.NewId();
        Patient WithMrn() => new() { Identifier = [new Identifier("urn:test:mrn", mrn)] };
        async Task<HttpRequestMessage> Conditional()
        {
            var request = await _server.RequestAsync(HttpMethod.Post, "Patient", WithMrn());
            request.Headers.Add("If-None-Exist", $"identifier=urn:test:mrn|{mrn}");
            return request;
        }

        var first = await _server.SendAsync(await Conditional());
        var second = await _server.SendAsync(await Conditional());
        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal(first.Resource?.Id, second.Resource?.Id);

        await _server.CreateAsync(WithMrn());
        var third = await _server.SendAsync(await Conditional());
        Assert.Equal(HttpStatusCode.PreconditionFailed, third.Status);
        Assert.Equal(2, (await _server.SearchAsync($"Patient?identifier=urn:test:mrn|{mrn}")).Total);
    }

    [Fact]
    public async System.Threading.Tasks.Task Prefer_return_minimal_and_OperationOutcome_shape_the_write_response()
    {
        var minimal = await _server.RequestAsync(HttpMethod.Post, "Patient", Make.Patient());
        minimal.Headers.Add("Prefer", "return=minimal");
        var outcome = await _server.RequestAsync(HttpMethod.Post, "Patient", Make.Patient());
        outcome.Headers.Add("Prefer", "return=OperationOutcome");

        var minimalResponse = await _server.SendAsync(minimal);
        var outcomeResponse = await _server.SendAsync(outcome);

        Assert.Equal(HttpStatusCode.Created, minimalResponse.Status);
        Assert.Equal("", minimalResponse.Body);
        Assert.NotNull(minimalResponse.Headers.Location);
        Assert.Equal(HttpStatusCode.Created, outcomeResponse.Status);
        Assert.Equal(OperationOutcome.IssueSeverity.Information, outcomeResponse.Outcome.Issue[0].Severity);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_transaction_resolves_urn_uuid_references_everywhere()
    {
        var patientUrn = "urn:uuid:" + Guid.NewGuid();
        var encounterUrn = "urn:uuid:" + Guid.NewGuid();
        var condition = Make.Condition("placeholder");
        condition.Subject = new ResourceReference(patientUrn);
        condition.Encounter = new ResourceReference(encounterUrn);
        var transaction = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new() { FullUrl = patientUrn, Resource = Make.Patient(), Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Patient" } },
                new() { FullUrl = encounterUrn, Resource = new Encounter { Status = Encounter.EncounterStatus.Finished, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"), Subject = new ResourceReference(patientUrn) }, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Encounter" } },
                new() { Resource = condition, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Condition" } },
            ],
        };

        var response = await _server.SendAsync(HttpMethod.Post, "/fhir", transaction);

        Assert.Equal(HttpStatusCode.OK, response.Status);
        var result = Assert.IsType<Bundle>(response.Resource);
        Assert.Equal(Bundle.BundleType.TransactionResponse, result.Type);
        Assert.All(result.Entry, e => Assert.Equal("201 Created", e.Response!.Status));
        var patientId = result.Entry[0].Resource!.Id;
        var encounterId = result.Entry[1].Resource!.Id;
        var stored = Assert.IsType<Condition>((await _server.GetAsync(result.Entry[2].Response!.Location!.Replace(_server.FhirBase + "/", ""))).Resource);
        Assert.Equal($"Patient/{patientId}", stored.Subject!.Reference);
        Assert.Equal($"Encounter/{encounterId}", stored.Encounter!.Reference);
        Assert.Single((await _server.SearchAsync($"Condition?patient={patientId}")).Entry);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_failing_transaction_entry_stores_nothing()
    {
        var family = "Atomic" + Make.NewId();
        var transaction = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new() { Resource = Make.Patient(family: family), Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Patient" } },
                new() { Request = new() { Method = Bundle.HTTPVerb.DELETE, Url = "Patient/never-existed" } },
            ],
        };

        var response = await _server.SendAsync(HttpMethod.Post, "/fhir", transaction);

        Assert.Equal(HttpStatusCode.NotFound, response.Status);
        Assert.Contains("Entry 1", response.Outcome.Issue[0].Diagnostics!);
        Assert.Equal(0, (await _server.SearchAsync($"Patient?family={family}")).Total);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_transaction_with_ifNoneExist_reuses_the_existing_resource()
    {
        var mrn = Make.NewId();
        var existing = await _server.CreateAsync(new Patient { Identifier = [new Identifier("urn:test:mrn", mrn)] });
        var patientUrn = "urn:uuid:" + Guid.NewGuid();
        var condition = Make.Condition("x");
        condition.Subject = new ResourceReference(patientUrn);
        var transaction = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new() { FullUrl = patientUrn, Resource = new Patient { Identifier = [new Identifier("urn:test:mrn", mrn)] }, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Patient", IfNoneExist = $"identifier=urn:test:mrn|{mrn}" } },
                new() { Resource = condition, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Condition" } },
            ],
        };

        var result = Assert.IsType<Bundle>((await _server.SendAsync(HttpMethod.Post, "/fhir", transaction)).Resource);

        Assert.Equal("200 OK", result.Entry[0].Response!.Status);
        Assert.Equal(existing.Id, result.Entry[0].Resource!.Id);
        Assert.Equal($"Patient/{existing.Id}", Assert.IsType<Condition>(result.Entry[1].Resource).Subject!.Reference);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_transaction_resolves_conditional_references_and_uri_links_to_entries()
    {
        var mrn = Make.NewId();
        var patient = await _server.CreateAsync(new Patient { Identifier = [new Identifier("urn:test:mrn", mrn)] });
        var binaryUrn = "urn:uuid:" + Guid.NewGuid();
        var document = new DocumentReference
        {
            Status = DocumentReferenceStatus.Current,
            Subject = new ResourceReference($"Patient?identifier=urn:test:mrn|{mrn}"),
            Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "text/plain", Url = binaryUrn } }],
        };
        var transaction = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new() { FullUrl = binaryUrn, Resource = new Binary { ContentType = "text/plain", Data = "note"u8.ToArray() }, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Binary" } },
                new() { Resource = document, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "DocumentReference" } },
            ],
        };

        var result = Assert.IsType<Bundle>((await _server.SendAsync(HttpMethod.Post, "/fhir", transaction)).Resource);

        var stored = Assert.IsType<DocumentReference>(result.Entry[1].Resource);
        Assert.Equal($"Patient/{patient.Id}", stored.Subject!.Reference);
        Assert.Equal($"Binary/{result.Entry[0].Resource!.Id}", stored.Content[0].Attachment.Url);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_conditional_reference_without_exactly_one_match_fails_the_transaction()
    {
        var condition = Make.Condition("x");
        condition.Subject = new ResourceReference($"Patient?identifier=urn:test:mrn|{Make.NewId()}");
        var transaction = new Bundle { Type = Bundle.BundleType.Transaction, Entry = [new() { Resource = condition, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Condition" } }] };

        var response = await _server.SendAsync(HttpMethod.Post, "/fhir", transaction);

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task Batch_entries_succeed_or_fail_on_their_own()
    {
        var family = "Batch" + Make.NewId();
        var batch = new Bundle
        {
            Type = Bundle.BundleType.Batch,
            Entry =
            [
                new() { Resource = Make.Patient(family: family), Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Patient" } },
                new() { Request = new() { Method = Bundle.HTTPVerb.GET, Url = "Patient/never-existed" } },
                new() { Request = new() { Method = Bundle.HTTPVerb.GET, Url = $"Patient?family={family}" } },
            ],
        };

        var response = await _server.SendAsync(HttpMethod.Post, "/fhir", batch);

        var result = Assert.IsType<Bundle>(response.Resource);
        Assert.Equal(Bundle.BundleType.BatchResponse, result.Type);
        Assert.Equal("201 Created", result.Entry[0].Response!.Status);
        Assert.StartsWith("404", result.Entry[1].Response!.Status);
        Assert.IsType<OperationOutcome>(result.Entry[1].Response!.Outcome);
        Assert.Equal(1, Assert.IsType<Bundle>(result.Entry[2].Resource).Total);
    }

    [Fact]
    public async System.Threading.Tasks.Task Any_R4_resource_type_can_be_stored_and_read()
    {
        var created = await _server.CreateAsync(new Basic { Code = new CodeableConcept("urn:test", "anything") });
        Assert.Equal(HttpStatusCode.OK, (await _server.GetAsync($"Basic/{created.Id}")).Status);
    }
}
