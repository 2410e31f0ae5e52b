using System.Net;
using Hl7.Fhir.Model;

namespace Sandbox.Ehr.Tests.Fhir;

/// <summary>SMART enforcement, with real access tokens from the sandbox's authorization server (EHR launches for patient/ and user/ scopes).</summary>
[Collection(FullModeCollection.Name)]
public class AuthorizationTests(FullModeServer fixture)
{
    private readonly SandboxServer _server = fixture.Server;

    [Fact]
    public async System.Threading.Tasks.Task No_token_is_401_with_a_bearer_challenge()
    {
        var response = await _server.SendAsync(SandboxServer.Request(HttpMethod.Get, "Patient"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.Status);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(OperationOutcome.IssueType.Login, response.Outcome.Issue[0].Code);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_token_narrower_than_asked_for_fails_the_test_instead_of_testing_less()
    {
        var (mine, _) = await _server.TwoPatientsAsync();

        // The app's registration allows no system/ scope, so the EHR launch narrows it away.
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _server.GetAsync($"Patient/{mine}", Make.PatientAccess(mine, "patient/Patient.rs", "system/Patient.rs")));

        Assert.Contains("granted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_patient_scope_cannot_read_another_patient()
    {
        var (mine, other) = await _server.TwoPatientsAsync();
        var mineCondition = await _server.CreateAsync(Make.Condition(mine));
        var otherCondition = await _server.CreateAsync(Make.Condition(other));
        var access = Make.PatientAccess(mine, "patient/Patient.rs", "patient/Condition.rs");

        Assert.Equal(HttpStatusCode.OK, (await _server.GetAsync($"Patient/{mine}", access)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await _server.GetAsync($"Patient/{other}", access)).Status);
        Assert.Equal(HttpStatusCode.OK, (await _server.GetAsync($"Condition/{mineCondition.Id}", access)).Status);
        var denied = await _server.GetAsync($"Condition/{otherCondition.Id}", access);
        Assert.Equal(HttpStatusCode.Forbidden, denied.Status);
        Assert.Equal(OperationOutcome.IssueType.Forbidden, denied.Outcome.Issue[0].Code);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_patient_scope_search_sees_only_the_compartment()
    {
        var (mine, other) = await _server.TwoPatientsAsync();
        var mineCondition = await _server.CreateAsync(Make.Condition(mine));
        await _server.CreateAsync(Make.Condition(other));
        var access = Make.PatientAccess(mine, "patient/Condition.rs");

        var own = await _server.SearchAsync($"Condition?patient={mine}", access);
        var foreign = await _server.SearchAsync($"Condition?patient={other}", access);
        var unfiltered = await _server.SearchAsync($"Condition?_id={mineCondition.Id}", access);

        Assert.Equal(1, own.Total);
        Assert.Equal(0, foreign.Total);
        Assert.Equal(1, unfiltered.Total);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_missing_scope_is_403()
    {
        var (mine, _) = await _server.TwoPatientsAsync();
        var access = Make.PatientAccess(mine, "patient/Condition.rs");

        var response = await _server.GetAsync($"Procedure?patient={mine}", access);

        Assert.Equal(HttpStatusCode.Forbidden, response.Status);
        Assert.Contains("Procedure", response.Outcome.Issue[0].Diagnostics);
    }

    [Fact]
    public async System.Threading.Tasks.Task Search_needs_s_and_read_needs_r()
    {
        var (mine, _) = await _server.TwoPatientsAsync();
        var condition = await _server.CreateAsync(Make.Condition(mine));

        Assert.Equal(HttpStatusCode.Forbidden, (await _server.GetAsync($"Condition?patient={mine}", Make.UserAccess("user/Condition.r"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await _server.GetAsync($"Condition/{condition.Id}", Make.UserAccess("user/Condition.r"))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await _server.GetAsync($"Condition/{condition.Id}", Make.UserAccess("user/Condition.s"))).Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_v2_restriction_filters_searches_and_forbids_other_reads()
    {
        var (mine, _) = await _server.TwoPatientsAsync();
        var lab = await _server.CreateAsync(Make.Observation(mine, "laboratory"));
        var vitals = await _server.CreateAsync(Make.Observation(mine, "vital-signs"));
        var access = Make.PatientAccess(mine, "patient/Observation.rs?category=laboratory");

        var search = await _server.SearchAsync($"Observation?patient={mine}", access);

        Assert.Equal([lab.Id], search.Entry.Select(e => e.Resource?.Id));
        Assert.Equal(HttpStatusCode.OK, (await _server.GetAsync($"Observation/{lab.Id}", access)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await _server.GetAsync($"Observation/{vitals.Id}", access)).Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task Writing_without_a_write_scope_is_403_and_stores_nothing()
    {
        var (mine, _) = await _server.TwoPatientsAsync();
        var readOnly = Make.PatientAccess(mine, "patient/*.read");

        var create = await _server.SendAsync(HttpMethod.Post, "Condition", Make.Condition(mine), readOnly);
        var existing = await _server.CreateAsync(Make.Condition(mine));
        var delete = await _server.SendAsync(HttpMethod.Delete, $"Condition/{existing.Id}", null, readOnly);

        Assert.Equal(HttpStatusCode.Forbidden, create.Status);
        Assert.Equal(HttpStatusCode.Forbidden, delete.Status);
        Assert.Equal(1, (await _server.SearchAsync($"Condition?patient={mine}")).Total);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_patient_write_scope_cannot_write_into_another_patients_chart()
    {
        var (mine, other) = await _server.TwoPatientsAsync();
        var access = Make.PatientAccess(mine, "patient/Condition.cruds");

        var own = await _server.SendAsync(HttpMethod.Post, "Condition", Make.Condition(mine), access);
        var foreign = await _server.SendAsync(HttpMethod.Post, "Condition", Make.Condition(other), access);

        Assert.Equal(HttpStatusCode.Created, own.Status);
        Assert.Equal(HttpStatusCode.Forbidden, foreign.Status);
        Assert.Equal(0, (await _server.SearchAsync($"Condition?patient={other}")).Total);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_user_scope_reaches_all_patients()
    {
        var (mine, other) = await _server.TwoPatientsAsync();
        await _server.CreateAsync(Make.Condition(other));
        var access = Make.PatientAccess(mine, "user/Condition.rs");

        Assert.Equal(1, (await _server.SearchAsync($"Condition?patient={other}", access)).Total);
    }

    [Fact]
    public async System.Threading.Tasks.Task Includes_leave_out_what_the_token_cannot_read()
    {
        var (mine, _) = await _server.TwoPatientsAsync();
        await _server.CreateAsync(Make.Procedure(mine));

        var limited = await _server.SearchAsync($"Procedure?patient={mine}&_include=Procedure:patient", Make.PatientAccess(mine, "patient/Procedure.rs"));
        var full = await _server.SearchAsync($"Procedure?patient={mine}&_include=Procedure:patient", Make.PatientAccess(mine, "patient/Procedure.rs", "patient/Patient.r"));

        Assert.DoesNotContain(limited.Entry, e => e.Resource is Patient);
        Assert.Contains(full.Entry, e => e.Resource is Patient);
    }

    [Fact]
    public async System.Threading.Tasks.Task Transaction_entries_are_checked_against_the_scopes()
    {
        var (mine, other) = await _server.TwoPatientsAsync();
        var transaction = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new() { Resource = Make.Condition(mine), Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Condition" } },
                new() { Resource = Make.Condition(other), Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Condition" } },
            ],
        };

        var response = await _server.SendAsync(HttpMethod.Post, "/fhir", transaction, Make.PatientAccess(mine, "patient/Condition.c"));

        Assert.Equal(HttpStatusCode.Forbidden, response.Status);
        Assert.Equal(0, (await _server.SearchAsync($"Condition?patient={mine}")).Total);
    }
}
