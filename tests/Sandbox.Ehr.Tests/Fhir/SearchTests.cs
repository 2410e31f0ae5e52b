using System.Net;
using Hl7.Fhir.Model;

namespace Sandbox.Ehr.Tests.Fhir;

/// <summary>One patient family of data per test (fresh ids), searched through the real API.</summary>
[Collection(FullModeCollection.Name)]
public class SearchTests(FullModeServer fixture)
{
    private readonly SandboxServer _server = fixture.Server;

    private async Task<string> NewPatientAsync(string family = "Searchable", string given = "Alex")
    {
        var patient = Make.Patient(Make.NewId(), family, given);
        await _server.PutAsync(patient);
        return patient.Id!;
    }

    private static IReadOnlyList<string?> Ids(Bundle bundle) =>
        bundle.Entry.Where(e => e.Search?.Mode == Bundle.SearchEntryMode.Match).Select(e => e.Resource?.Id).ToList();

    [Fact]
    public async System.Threading.Tasks.Task Token_search_understands_system_code_and_their_variants()
    {
        var patient = await NewPatientAsync();
        var icd = await _server.CreateAsync(Make.Condition(patient, "G44.209"));
        var snomed = await _server.CreateAsync(Make.Condition(patient, "230462002", "http://snomed.info/sct"));
        var noSystem = Make.Condition(patient, "local-1");
        noSystem.Code = new CodeableConcept { Coding = [new Coding { Code = "local-1" }] };
        var local = await _server.CreateAsync(noSystem);

        Assert.Equal([icd.Id], Ids(await _server.SearchAsync($"Condition?patient={patient}&code=http://hl7.org/fhir/sid/icd-10-cm|G44.209")));
        Assert.Equal([icd.Id], Ids(await _server.SearchAsync($"Condition?patient={patient}&code=G44.209")));
        Assert.Equal([local.Id], Ids(await _server.SearchAsync($"Condition?patient={patient}&code=|local-1")));
        Assert.Equal([snomed.Id], Ids(await _server.SearchAsync($"Condition?patient={patient}&code=http://snomed.info/sct|")));
        Assert.Equal([icd.Id, snomed.Id], Ids(await _server.SearchAsync($"Condition?patient={patient}&code=G44.209,230462002")));
        Assert.Equal([snomed.Id, local.Id], Ids(await _server.SearchAsync($"Condition?patient={patient}&code:not=G44.209")));
        Assert.Equal(3, (await _server.SearchAsync($"Condition?patient={patient}&clinical-status=active")).Total);
        Assert.Equal([icd.Id, snomed.Id], Ids(await _server.SearchAsync($"Condition?patient={patient}&code:text=TENSION")));
    }

    [Fact]
    public async System.Threading.Tasks.Task Or_values_never_leak_matches_from_other_patients_or_parameters()
    {
        var patient = await NewPatientAsync();
        var other = await NewPatientAsync();
        var code = "Z" + Make.NewId();
        await _server.CreateAsync(Make.Condition(patient, "A-" + code));
        var foreign = await _server.CreateAsync(Make.Condition(other, code));

        Assert.Empty(Ids(await _server.SearchAsync($"Condition?patient={patient}&code=none,{code}")));
        Assert.Empty(Ids(await _server.SearchAsync($"Condition?patient={patient}&code:not=none,A-{code}")));
        Assert.Empty(Ids(await _server.SearchAsync($"Condition?patient={patient}&onset-date=ne2021-03,ne2021-03")));
        Assert.Equal([foreign.Id], Ids(await _server.SearchAsync($"Condition?code=none,{code}")));
    }

    [Fact]
    public async System.Threading.Tasks.Task Reference_search_takes_Patient_slash_id_a_plain_id_and_subject()
    {
        var patient = await NewPatientAsync();
        var other = await NewPatientAsync();
        var mine = await _server.CreateAsync(Make.Condition(patient));
        await _server.CreateAsync(Make.Condition(other));

        Assert.Equal([mine.Id], Ids(await _server.SearchAsync($"Condition?patient=Patient/{patient}")));
        Assert.Equal([mine.Id], Ids(await _server.SearchAsync($"Condition?patient={patient}")));
        Assert.Equal([mine.Id], Ids(await _server.SearchAsync($"Condition?subject=Patient/{patient}")));
        Assert.Equal([mine.Id], Ids(await _server.SearchAsync($"Condition?subject:Patient={patient}")));
        Assert.Equal([mine.Id], Ids(await _server.SearchAsync($"Condition?patient={_server.FhirBase}/Patient/{patient}")));
    }

    [Fact]
    public async System.Threading.Tasks.Task Date_prefixes_compare_partial_dates_as_ranges()
    {
        var patient = await NewPatientAsync();
        var march = await _server.CreateAsync(Make.Condition(patient, onset: "2021-03"));
        var day = await _server.CreateAsync(Make.Condition(patient, onset: "2021-03-15"));
        var later = await _server.CreateAsync(Make.Condition(patient, onset: "2022-06-01T10:00:00Z"));
        string Q(string date) => $"Condition?patient={patient}&onset-date={date}";

        Assert.Equal([march.Id, day.Id], Ids(await _server.SearchAsync(Q("2021-03"))));
        Assert.Equal([day.Id], Ids(await _server.SearchAsync(Q("eq2021-03-15"))));
        Assert.Equal([march.Id, later.Id], Ids(await _server.SearchAsync(Q("ne2021-03-15"))));
        Assert.Equal([later.Id], Ids(await _server.SearchAsync(Q("gt2021"))));
        Assert.Equal([march.Id, day.Id], Ids(await _server.SearchAsync(Q("lt2022"))));
        Assert.Equal([march.Id, day.Id, later.Id], Ids(await _server.SearchAsync(Q("ge2021-03-15"))));
        Assert.Equal([march.Id, day.Id], Ids(await _server.SearchAsync(Q("le2021-03-15"))));
        Assert.Equal([later.Id], Ids(await _server.SearchAsync(Q("sa2021-12-31"))));
        Assert.Equal([march.Id, day.Id], Ids(await _server.SearchAsync(Q("eb2022-01-01"))));
        Assert.Equal([march.Id, day.Id], Ids(await _server.SearchAsync($"{Q("ge2021-01-01")}&onset-date=lt2021-04-01")));
    }

    [Fact]
    public async System.Threading.Tasks.Task String_search_is_starts_with_and_ignores_case_and_accents_unless_exact()
    {
        var given = "Given" + Make.NewId();
        var zoe = await NewPatientAsync("Ångström", given);
        await NewPatientAsync("Angstrom-Other", "Else" + Make.NewId());

        Assert.Equal([zoe], Ids(await _server.SearchAsync($"Patient?given={given}&family=angs")));
        Assert.Equal([zoe], Ids(await _server.SearchAsync($"Patient?given={given}&name=ÅNGSTRÖM")));
        Assert.Equal([zoe], Ids(await _server.SearchAsync($"Patient?given={given}&family:exact=Ångström")));
        Assert.Empty(Ids(await _server.SearchAsync($"Patient?given={given}&family:exact=angstrom")));
        Assert.Equal([zoe], Ids(await _server.SearchAsync($"Patient?given={given}&family:contains=GSTR")));
        Assert.Empty(Ids(await _server.SearchAsync($"Patient?given={given}&family=gstr")));
    }

    [Fact]
    public async System.Threading.Tasks.Task Id_and_lastUpdated_search_on_every_type()
    {
        var patient = await NewPatientAsync();
        Assert.Equal([patient], Ids(await _server.SearchAsync($"Patient?_id={patient}")));
        Assert.Equal([patient], Ids(await _server.SearchAsync($"Patient?_id={patient}&_lastUpdated=ge2020-01-01")));
        Assert.Empty(Ids(await _server.SearchAsync($"Patient?_id={patient}&_lastUpdated=lt2020-01-01")));
    }

    [Fact]
    public async System.Threading.Tasks.Task Count_pages_with_next_and_previous_links_that_work()
    {
        var patient = await NewPatientAsync();
        var created = new List<string?>();
        for (var i = 0; i < 5; i++)
        {
            created.Add((await _server.CreateAsync(Make.Condition(patient))).Id);
        }

        var seen = new List<string?>();
        var page = await _server.SearchAsync($"Condition?patient={patient}&_count=2");
        Assert.Equal(5, page.Total);
        Assert.Contains(page.Link, l => l.Relation == "self");
        var pages = 1;
        seen.AddRange(Ids(page));
        while (page.Link.FirstOrDefault(l => l.Relation == "next") is { } next)
        {
            page = await _server.SearchAsync(new Uri(next.Url!).PathAndQuery);
            Assert.Contains(page.Link, l => l.Relation == "previous");
            seen.AddRange(Ids(page));
            pages++;
        }
        Assert.Equal(3, pages);
        Assert.Equal(created, seen);
    }

    [Fact]
    public async System.Threading.Tasks.Task Sort_on_a_date_ascending_and_descending()
    {
        var patient = await NewPatientAsync();
        var b = await _server.CreateAsync(Make.Condition(patient, onset: "2020-05-01"));
        var a = await _server.CreateAsync(Make.Condition(patient, onset: "2019-01-01"));
        var c = await _server.CreateAsync(Make.Condition(patient, onset: "2023-07-01"));

        Assert.Equal([a.Id, b.Id, c.Id], Ids(await _server.SearchAsync($"Condition?patient={patient}&_sort=onset-date")));
        Assert.Equal([c.Id, b.Id, a.Id], Ids(await _server.SearchAsync($"Condition?patient={patient}&_sort=-onset-date")));
        Assert.Equal([c.Id, a.Id, b.Id], Ids(await _server.SearchAsync($"Condition?patient={patient}&_sort=-_lastUpdated")));
    }

    [Fact]
    public async System.Threading.Tasks.Task Include_and_revinclude_add_the_referenced_and_referencing_resources()
    {
        var patient = await NewPatientAsync();
        var encounter = await _server.CreateAsync(new Encounter { Status = Encounter.EncounterStatus.Finished, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"), Subject = new ResourceReference("Patient/" + patient) });
        var procedure = await _server.CreateAsync(Make.Procedure(patient));
        var onEncounter = await _server.CreateAsync(Make.Condition(patient, encounterId: encounter.Id));
        await _server.CreateAsync(Make.Condition(patient));
        var provenance = await _server.CreateAsync(new Provenance { Target = [new ResourceReference("Procedure/" + procedure.Id)], Recorded = DateTimeOffset.UtcNow, Agent = [new Provenance.AgentComponent { Who = new ResourceReference("Practitioner/pr-1") }] });

        var included = await _server.SearchAsync($"Procedure?patient={patient}&_include=Procedure:patient&_revinclude=Provenance:target");
        var conditions = await _server.SearchAsync($"Condition?patient={patient}&_include=Condition:encounter");
        var encounters = await _server.SearchAsync($"Encounter?patient={patient}&_include=Encounter:subject");

        Assert.Equal(1, included.Total);
        Assert.Contains(included.Entry, e => e.Search?.Mode == Bundle.SearchEntryMode.Include && e.Resource is Patient p && p.Id == patient);
        Assert.Contains(included.Entry, e => e.Search?.Mode == Bundle.SearchEntryMode.Include && e.Resource is Provenance p && p.Id == provenance.Id);
        Assert.Contains(conditions.Entry, e => e.Resource is Encounter x && x.Id == encounter.Id);
        Assert.Contains(encounters.Entry, e => e.Resource is Patient p && p.Id == patient);
        Assert.Equal([onEncounter.Id], Ids(await _server.SearchAsync($"Condition?encounter=Encounter/{encounter.Id}")));
        Assert.Equal([onEncounter.Id], Ids(await _server.SearchAsync($"Condition?patient={patient}&encounter={encounter.Id}")));
    }

    [Fact]
    public async System.Threading.Tasks.Task Summary_count_returns_only_the_total()
    {
        var patient = await NewPatientAsync();
        await _server.CreateAsync(Make.Condition(patient));
        await _server.CreateAsync(Make.Condition(patient));

        var bundle = await _server.SearchAsync($"Condition?patient={patient}&_summary=count");

        Assert.Equal(2, bundle.Total);
        Assert.Empty(bundle.Entry);
    }

    [Fact]
    public async System.Threading.Tasks.Task Elements_keeps_only_the_named_elements_and_marks_the_subset()
    {
        var patient = await NewPatientAsync();
        var bundle = await _server.SearchAsync($"Patient?_id={patient}&_elements=name");
        var subset = Assert.IsType<Patient>(bundle.Entry.Single().Resource);
        Assert.NotEmpty(subset.Name);
        Assert.Null(subset.BirthDate);
        Assert.Contains(subset.Meta!.Tag, t => t.Code == "SUBSETTED");
    }

    [Fact]
    public async System.Threading.Tasks.Task Post_search_takes_form_parameters()
    {
        var patient = await NewPatientAsync();
        await _server.CreateAsync(Make.Procedure(patient));
        var request = await _server.RequestAsync(HttpMethod.Post, "Procedure/_search");
        request.Content = new FormUrlEncodedContent([new("patient", patient)]);

        var response = await _server.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal(1, Assert.IsType<Bundle>(response.Resource).Total);
    }

    [Fact]
    public async System.Threading.Tasks.Task An_unknown_search_parameter_is_400_unless_handling_is_lenient()
    {
        var strict = await _server.GetAsync("Condition?no-such-param=1");
        var request = await _server.RequestAsync(HttpMethod.Get, "Condition?no-such-param=1&_id=none");
        request.Headers.Add("Prefer", "handling=lenient");
        var lenient = await _server.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, strict.Status);
        Assert.Contains("no-such-param", strict.Outcome.Issue[0].Diagnostics);
        Assert.Equal(HttpStatusCode.OK, lenient.Status);
        var outcome = Assert.IsType<OperationOutcome>(Assert.IsType<Bundle>(lenient.Resource).Entry.Single(e => e.Search?.Mode == Bundle.SearchEntryMode.Outcome).Resource);
        Assert.Contains("no-such-param", outcome.Issue[0].Diagnostics);
    }

    [Theory]
    [InlineData("Condition?onset-date=yesterday")]
    [InlineData("Condition?onset-date=xx2021")]
    [InlineData("Condition?code:exact=1")]
    [InlineData("Condition?_count=-1")]
    [InlineData("Condition?_sort=code")]
    [InlineData("Condition?_include=Condition:code")]
    [InlineData("Condition?patient.name=x")]
    public async System.Threading.Tasks.Task A_malformed_search_is_400_with_an_outcome(string url)
    {
        var response = await _server.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal(OperationOutcome.IssueSeverity.Error, response.Outcome.Issue[0].Severity);
    }

    [Fact]
    public async System.Threading.Tasks.Task Repeated_parameters_are_combined_with_AND()
    {
        var patient = await NewPatientAsync();
        var both = await _server.CreateAsync(Make.Condition(patient, onset: "2021-06-01"));
        await _server.CreateAsync(Make.Condition(patient, onset: "2019-06-01"));
        Assert.Equal([both.Id], Ids(await _server.SearchAsync($"Condition?patient={patient}&onset-date=ge2021&onset-date=le2021-12-31")));
    }

    [Theory]
    [InlineData("Observation?patient={0}&category=vital-signs")]
    [InlineData("MedicationRequest?patient={0}")]
    [InlineData("MedicationStatement?patient={0}&status=active")]
    [InlineData("DiagnosticReport?patient={0}&category=LAB")]
    [InlineData("ImagingStudy?patient={0}")]
    [InlineData("DocumentReference?patient={0}&type=http://loinc.org|11504-8")]
    [InlineData("Composition?patient={0}&type=http://loinc.org|11504-8")]
    [InlineData("QuestionnaireResponse?patient={0}")]
    [InlineData("Provenance?patient={0}")]
    [InlineData("Encounter?patient={0}&date=ge2020")]
    [InlineData("Procedure?patient={0}&date=ge2020&code=http://snomed.info/sct|1290001")]
    [InlineData("Practitioner?name=x")]
    [InlineData("Organization?name=x")]
    [InlineData("Patient?identifier=urn:x|1&birthdate=1970")]
    public async System.Threading.Tasks.Task The_app_facing_types_are_searchable(string template)
    {
        var bundle = await _server.SearchAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, "nobody"));
        Assert.Equal(Bundle.BundleType.Searchset, bundle.Type);
    }
}
