using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;

namespace Sandbox.Ehr.Tests.Fhir;

public sealed class EpicLikeServer : IAsyncLifetime
{
    public SandboxServer Server { get; private set; } = null!;

    public async System.Threading.Tasks.Task InitializeAsync() => Server = await SandboxServer.StartAsync("Sandbox:Mode=epic-like");

    public async System.Threading.Tasks.Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class OracleLikeServer : IAsyncLifetime
{
    public SandboxServer Server { get; private set; } = null!;

    public async System.Threading.Tasks.Task InitializeAsync() => Server = await SandboxServer.StartAsync("Sandbox:Mode=oracle-like");

    public async System.Threading.Tasks.Task DisposeAsync() => await Server.DisposeAsync();
}

internal static class Documents
{
    public static async Task<(string Patient, string Encounter)> ChartAsync(SandboxServer server)
    {
        var patient = Make.Patient(Make.NewId());
        await server.PutAsync(patient);
        var encounter = await server.CreateAsync(new Encounter { Status = Encounter.EncounterStatus.Finished, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"), Subject = new ResourceReference("Patient/" + patient.Id) });
        return (patient.Id!, encounter.Id!);
    }

    /// <summary>The launch practitioner's token on this patient: a system token names no practitioner, and oracle-like mode checks the author against it.</summary>
    public static Sandbox.Ehr.Auth.SmartAccess Surgeon(string patient) => Make.PatientAccess(patient, "patient/DocumentReference.cruds");

    public static DocumentReference Note(string patient, string encounter, string contentType = "text/plain") => new()
    {
        Status = DocumentReferenceStatus.Current,
        DocStatus = CompositionStatus.Final,
        Type = new CodeableConcept("http://loinc.org", "11504-8", "Surgical operation note"),
        Subject = new ResourceReference("Patient/" + patient),
        Date = DateTimeOffset.Parse("2024-05-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
        Author = [new ResourceReference("Practitioner/" + RealTokens.PractitionerId)],
        Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = contentType, Data = Encoding.UTF8.GetBytes("Operative note") } }],
        Context = new DocumentReference.ContextComponent
        {
            Encounter = [new ResourceReference("Encounter/" + encounter)],
            Period = new Period { Start = "2024-05-01T09:00:00Z", End = "2024-05-01T10:00:00Z" },
        },
    };
}

public class EpicLikeModeTests(EpicLikeServer fixture) : IClassFixture<EpicLikeServer>
{
    private readonly SandboxServer _server = fixture.Server;

    [Fact]
    public async System.Threading.Tasks.Task Transactions_and_batches_are_refused_with_405()
    {
        var transaction = new Bundle { Type = Bundle.BundleType.Transaction, Entry = [new() { Resource = Make.Patient(), Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Patient" } }] };
        var batch = new Bundle { Type = Bundle.BundleType.Batch };

        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await _server.SendAsync(HttpMethod.Post, "/fhir", transaction)).Status);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await _server.SendAsync(HttpMethod.Post, "/fhir", batch)).Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task Conditional_create_is_refused_with_400_and_stores_nothing()
    {
        var family = "Conditional" + Make.NewId();
        var request = await _server.RequestAsync(HttpMethod.Post, "Patient", Make.Patient(family: family));
        request.Headers.Add("If-None-Exist", $"family={family}");

        var response = await _server.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains("not supported", response.Outcome.Issue[0].Diagnostics);
        Assert.Equal(0, (await _server.SearchAsync($"Patient?family={family}")).Total);
    }

    [Fact]
    public async System.Threading.Tasks.Task Procedure_create_is_refused_with_405()
    {
        var (patient, _) = await Documents.ChartAsync(_server);
        var response = await _server.SendAsync(HttpMethod.Post, "Procedure", Make.Procedure(patient));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.Status);
        Assert.Equal(0, (await _server.SearchAsync($"Procedure?patient={patient}")).Total);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_plain_text_note_on_an_encounter_of_the_same_patient_is_accepted()
    {
        var (patient, encounter) = await Documents.ChartAsync(_server);
        var response = await _server.SendAsync(HttpMethod.Post, "DocumentReference", Documents.Note(patient, encounter));
        Assert.Equal(HttpStatusCode.Created, response.Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task Notes_that_break_the_epic_rules_are_422()
    {
        var (patient, encounter) = await Documents.ChartAsync(_server);
        var (otherPatient, otherEncounter) = await Documents.ChartAsync(_server);
        var pdf = Documents.Note(patient, encounter, "application/pdf");
        var foreignEncounter = Documents.Note(patient, otherEncounter);
        var noEncounter = Documents.Note(patient, encounter);
        noEncounter.Context!.Encounter.Clear();
        var entered = Documents.Note(patient, encounter);
        entered.DocStatus = CompositionStatus.EnteredInError;

        foreach (var note in new[] { pdf, foreignEncounter, noEncounter, entered })
        {
            var response = await _server.SendAsync(HttpMethod.Post, "DocumentReference", note);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.Status);
            Assert.Equal(OperationOutcome.IssueType.BusinessRule, response.Outcome.Issue[0].Code);
        }
        Assert.Equal(0, (await _server.SearchAsync($"DocumentReference?patient={patient}")).Total);
        Assert.NotEqual(otherPatient, patient);
    }

    [Fact]
    public async System.Threading.Tasks.Task The_capability_statement_says_what_epic_like_refuses()
    {
        var statement = Assert.IsType<CapabilityStatement>((await _server.SendAsync(SandboxServer.Request(HttpMethod.Get, "metadata"))).Resource);
        var rest = statement.Rest.Single();
        Assert.Empty(rest.Interaction);
        var procedure = rest.Resource.Single(r => r.Type == "Procedure");
        Assert.DoesNotContain(procedure.Interaction, i => i.Code == CapabilityStatement.TypeRestfulInteraction.Create);
        Assert.False(procedure.ConditionalCreate);
        Assert.Contains("text/plain", rest.Resource.Single(r => r.Type == "DocumentReference").Documentation);
    }
}

public class OracleLikeModeTests(OracleLikeServer fixture) : IClassFixture<OracleLikeServer>
{
    private readonly SandboxServer _server = fixture.Server;

    [Fact]
    public async System.Threading.Tasks.Task A_final_note_by_the_tokens_practitioner_is_accepted()
    {
        var (patient, encounter) = await Documents.ChartAsync(_server);
        var response = await _server.SendAsync(HttpMethod.Post, "DocumentReference", Documents.Note(patient, encounter), Documents.Surgeon(patient));
        Assert.Equal(HttpStatusCode.Created, response.Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task Notes_that_break_the_oracle_rules_are_422()
    {
        var (patient, encounter) = await Documents.ChartAsync(_server);
        var twoContents = Documents.Note(patient, encounter);
        twoContents.Content.Add(twoContents.Content[0]);
        var superseded = Documents.Note(patient, encounter);
        superseded.Status = DocumentReferenceStatus.Superseded;
        var preliminary = Documents.Note(patient, encounter);
        preliminary.DocStatus = CompositionStatus.Preliminary;
        var otherAuthor = Documents.Note(patient, encounter);
        otherAuthor.Author = [new ResourceReference("Practitioner/someone-else")];
        var noEnd = Documents.Note(patient, encounter);
        noEnd.Context!.Period!.End = null;
        var dateOnly = Documents.Note(patient, encounter);
        dateOnly.Context!.Period!.Start = "2024-05-01";

        foreach (var note in new[] { twoContents, superseded, preliminary, otherAuthor, noEnd, dateOnly })
        {
            var response = await _server.SendAsync(HttpMethod.Post, "DocumentReference", note, Documents.Surgeon(patient));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.Status);
        }
        Assert.Equal(0, (await _server.SearchAsync($"DocumentReference?patient={patient}")).Total);
    }

    [Fact]
    public async System.Threading.Tasks.Task Procedure_create_needs_status_completed()
    {
        var (patient, _) = await Documents.ChartAsync(_server);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await _server.SendAsync(HttpMethod.Post, "Procedure", Make.Procedure(patient, EventStatus.InProgress))).Status);
        Assert.Equal(HttpStatusCode.Created, (await _server.SendAsync(HttpMethod.Post, "Procedure", Make.Procedure(patient))).Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task Seeding_is_not_subject_to_the_mode_rules()
    {
        var store = _server.App.Services.GetRequiredService<Sandbox.Ehr.Fhir.IFhirStore>();
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction, Entry = [new() { Resource = Make.Procedure("seeded", EventStatus.InProgress), Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Procedure" } }] };

        var response = await store.TransactionAsync(bundle);

        Assert.Equal("201 Created", response.Entry.Single().Response!.Status);
    }
}
