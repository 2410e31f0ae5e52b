using System.Net;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Sandbox.Ehr.Tests.Fhir;

/// <summary>
/// A <c>patient/</c> token for one patient reaches nothing of another patient, by any route the
/// security review found open: history and vread (deleted resources too), writes through references
/// that allow several values, and the answer of a conditional create.
/// </summary>
[Collection(FullModeCollection.Name)]
public class CrossPatientTests(FullModeServer fixture)
{
    private readonly SandboxServer _server = fixture.Server;

    [Fact]
    public async Task History_and_vread_of_another_patients_deleted_resource_are_403()
    {
        var (mine, other) = await _server.TwoPatientsAsync();
        var foreign = await _server.CreateAsync(Make.Condition(other, code: "F20.0"));
        foreign.Note = [new Annotation { Text = "second version" }];
        await _server.PutAsync(foreign);
        Assert.Equal(HttpStatusCode.NoContent, (await _server.SendAsync(HttpMethod.Delete, $"Condition/{foreign.Id}")).Status);
        var readOnly = Make.PatientAccess(mine, "patient/Condition.rs");

        var history = await _server.GetAsync($"Condition/{foreign.Id}/_history", readOnly);
        var vread = await _server.GetAsync($"Condition/{foreign.Id}/_history/1", readOnly);
        var deletion = await _server.GetAsync($"Condition/{foreign.Id}/_history/3", readOnly);
        var read = await _server.GetAsync($"Condition/{foreign.Id}", readOnly);

        Assert.Equal(HttpStatusCode.Forbidden, history.Status);
        Assert.DoesNotContain("F20.0", history.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, vread.Status);
        Assert.DoesNotContain("F20.0", vread.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, deletion.Status);
        Assert.Equal(HttpStatusCode.Forbidden, read.Status);
    }

    [Fact]
    public async Task A_deleted_resource_of_the_tokens_own_patient_keeps_its_history()
    {
        var (mine, _) = await _server.TwoPatientsAsync();
        var own = await _server.CreateAsync(Make.Condition(mine));
        await _server.SendAsync(HttpMethod.Delete, $"Condition/{own.Id}");
        var readOnly = Make.PatientAccess(mine, "patient/Condition.rs");

        var history = Assert.IsType<Bundle>((await _server.GetAsync($"Condition/{own.Id}/_history", readOnly)).Resource);

        Assert.Equal(2, history.Total);
        Assert.Equal(HttpStatusCode.OK, (await _server.GetAsync($"Condition/{own.Id}/_history/1", readOnly)).Status);
        Assert.Equal(HttpStatusCode.Gone, (await _server.GetAsync($"Condition/{own.Id}/_history/2", readOnly)).Status);
        Assert.Equal(HttpStatusCode.Gone, (await _server.GetAsync($"Condition/{own.Id}", readOnly)).Status);
    }

    [Fact]
    public async Task Each_version_is_checked_on_its_own_content()
    {
        var (mine, other) = await _server.TwoPatientsAsync();
        // Filed on the wrong chart, then moved to the right one: the first version stays the other patient's.
        var moved = await _server.CreateAsync(Make.Condition(other, code: "F20.0"));
        moved.Subject = new ResourceReference("Patient/" + mine);
        moved.Code = new CodeableConcept("http://hl7.org/fhir/sid/icd-10-cm", "M54.81");
        await _server.PutAsync(moved);
        var readOnly = Make.PatientAccess(mine, "patient/Condition.rs");

        var history = Assert.IsType<Bundle>((await _server.GetAsync($"Condition/{moved.Id}/_history", readOnly)).Resource);

        Assert.Equal(["2"], history.Entry.Select(e => e.Resource!.Meta!.VersionId));
        Assert.DoesNotContain("F20.0", (await _server.GetAsync($"Condition/{moved.Id}/_history", readOnly)).Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await _server.GetAsync($"Condition/{moved.Id}/_history/1", readOnly)).Status);
        Assert.Equal(HttpStatusCode.OK, (await _server.GetAsync($"Condition/{moved.Id}/_history/2", readOnly)).Status);
    }

    public static TheoryData<string> MultiValuedWrites => ["Provenance", "Account", "Appointment"];

    /// <summary>A resource that names the token's patient and another one through a compartment reference that allows several values.</summary>
    private static Resource NamingBoth(string type, string mine, string other) => type switch
    {
        "Provenance" => new Provenance
        {
            Target = [new ResourceReference("Patient/" + mine), new ResourceReference("Patient/" + other)],
            Recorded = DateTimeOffset.UtcNow,
            Agent = [new Provenance.AgentComponent { Who = new ResourceReference("Practitioner/" + RealTokens.PractitionerId) }],
        },
        "Account" => new Account
        {
            Status = Account.AccountStatus.Active,
            Subject = [new ResourceReference("Patient/" + mine), new ResourceReference("Patient/" + other)],
        },
        _ => new Appointment
        {
            Status = Appointment.AppointmentStatus.Booked,
            Participant =
            [
                new Appointment.ParticipantComponent { Actor = new ResourceReference("Patient/" + mine), Status = ParticipationStatus.Accepted },
                new Appointment.ParticipantComponent { Actor = new ResourceReference("Patient/" + other), Status = ParticipationStatus.Accepted },
            ],
        },
    };

    [Theory]
    [MemberData(nameof(MultiValuedWrites))]
    public async Task A_patient_token_cannot_write_into_another_compartment_through_a_multi_valued_reference(string type)
    {
        var (mine, other) = await _server.TwoPatientsAsync();
        var access = Make.PatientAccess(mine, $"patient/{type}.cruds");

        var create = await _server.SendAsync(HttpMethod.Post, type, NamingBoth(type, mine, other), access);
        var put = NamingBoth(type, mine, other);
        put.Id = Make.NewId();
        var update = await _server.SendAsync(HttpMethod.Put, $"{type}/{put.Id}", put, access);
        var transaction = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry = [new() { Resource = NamingBoth(type, mine, other), Request = new() { Method = Bundle.HTTPVerb.POST, Url = type } }],
        };
        var bundle = await _server.SendAsync(HttpMethod.Post, "/fhir", transaction, access);

        Assert.Equal(HttpStatusCode.Forbidden, create.Status);
        Assert.Equal(HttpStatusCode.Forbidden, update.Status);
        Assert.Equal(HttpStatusCode.Forbidden, bundle.Status);
        var searchParam = type switch { "Appointment" => "actor", "Account" => "subject", _ => "patient" };
        Assert.Equal(0, (await _server.SearchAsync($"{type}?{searchParam}={other}")).Total);
    }

    [Theory]
    [MemberData(nameof(MultiValuedWrites))]
    public async Task A_patient_token_writes_what_names_only_its_patient(string type)
    {
        var (mine, _) = await _server.TwoPatientsAsync();
        var access = Make.PatientAccess(mine, $"patient/{type}.cruds");

        var create = await _server.SendAsync(HttpMethod.Post, type, NamingBoth(type, mine, mine), access);

        Assert.Equal(HttpStatusCode.Created, create.Status);
    }

    [Fact]
    public async Task A_patient_token_cannot_update_its_own_resource_to_name_another_patient_too()
    {
        var (mine, other) = await _server.TwoPatientsAsync();
        var access = Make.PatientAccess(mine, "patient/Condition.cruds");
        var condition = await _server.CreateAsync(Make.Condition(mine), access);
        condition.Asserter = new ResourceReference("Patient/" + other);

        var update = await _server.SendAsync(HttpMethod.Put, $"Condition/{condition.Id}", condition, access);

        Assert.Equal(HttpStatusCode.Forbidden, update.Status);
        Assert.Equal(0, (await _server.SearchAsync($"Condition?asserter={other}")).Total);
    }

    [Fact]
    public async Task A_patient_token_can_read_but_not_change_or_delete_what_also_names_another_patient()
    {
        var (mine, other) = await _server.TwoPatientsAsync();
        var shared = (Appointment)NamingBoth("Appointment", mine, other);
        shared = await _server.CreateAsync(shared);
        var access = Make.PatientAccess(mine, "patient/Appointment.cruds");
        var narrowed = (Appointment)shared.DeepCopy();
        narrowed.Participant.RemoveAt(1);

        var read = await _server.GetAsync($"Appointment/{shared.Id}", access);
        var update = await _server.SendAsync(HttpMethod.Put, $"Appointment/{shared.Id}", narrowed, access);
        var delete = await _server.SendAsync(HttpMethod.Delete, $"Appointment/{shared.Id}", null, access);

        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal(HttpStatusCode.Forbidden, update.Status);
        Assert.Equal(HttpStatusCode.Forbidden, delete.Status);
        Assert.Equal(1, (await _server.SearchAsync($"Appointment?actor={other}&_id={shared.Id}")).Total);
    }

    [Fact]
    public async Task Conditional_create_answers_the_same_whether_or_not_another_patient_has_a_match()
    {
        var (mine, other) = await _server.TwoPatientsAsync();
        var code = "G44.86-" + Make.NewId();
        await _server.CreateAsync(Make.Condition(other, code: code));
        var access = Make.PatientAccess(mine, "patient/Condition.cruds");

        // Before the fix: a match in the other chart answered 403 (no match would be 201): an oracle.
        var probe = await _server.SendAsync(await WithIfNoneExist(HttpMethod.Post, "Condition", Make.Condition(mine, code: code), access, $"code={code}"));
        var again = await _server.SendAsync(await WithIfNoneExist(HttpMethod.Post, "Condition", Make.Condition(mine, code: code), access, $"code={code}"));

        Assert.Equal(HttpStatusCode.Created, probe.Status);
        // The second finds the first: matching still works within the token's reach.
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(probe.Resource!.Id, again.Resource!.Id);
    }

    [Fact]
    public async Task Conditional_create_in_a_transaction_matches_only_within_the_tokens_reach()
    {
        var (mine, other) = await _server.TwoPatientsAsync();
        var code = "G44.86-" + Make.NewId();
        await _server.CreateAsync(Make.Condition(other, code: code));
        var transaction = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry = [new() { Resource = Make.Condition(mine, code: code), Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Condition", IfNoneExist = $"code={code}" } }],
        };

        var response = await _server.SendAsync(HttpMethod.Post, "/fhir", transaction, Make.PatientAccess(mine, "patient/Condition.cruds"));

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("201 Created", Assert.IsType<Bundle>(response.Resource).Entry[0].Response!.Status);
    }

    [Fact]
    public async Task Conditional_create_without_read_access_is_refused_whatever_is_stored()
    {
        var (mine, _) = await _server.TwoPatientsAsync();

        var response = await _server.SendAsync(await WithIfNoneExist(HttpMethod.Post, "Condition", Make.Condition(mine), Make.PatientAccess(mine, "patient/Condition.c"), "code=nothing-" + Make.NewId()));

        Assert.Equal(HttpStatusCode.Forbidden, response.Status);
        Assert.Contains("read access", response.Outcome.Issue[0].Diagnostics, StringComparison.Ordinal);
    }

    private async Task<HttpRequestMessage> WithIfNoneExist(HttpMethod method, string url, Resource body, Sandbox.Ehr.Auth.SmartAccess access, string query)
    {
        var request = await _server.RequestAsync(method, url, body, access);
        request.Headers.Add("If-None-Exist", query);
        return request;
    }
}
