using System.Net;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;

namespace Rhizotomy.App.Tests.Form;

public class TemplateApiTests(FormWorld f) : IClassFixture<FormWorld>
{
    [Fact]
    public async System.Threading.Tasks.Task The_templates_come_as_a_bundle_of_questionnaires()
    {
        using var response = await f.Browser.GetAsync(f.Url("/api/templates"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var bundle = FormWorld.Parse<Bundle>(await response.Content.ReadAsStringAsync());
        var ids = bundle.Entry.Select(e => Assert.IsType<Questionnaire>(e.Resource).Id).Order().ToList();
        Assert.Equal([TemplateDefinitions.CoagulationId, TemplateDefinitions.NeurectomyId], ids);
    }

    [Fact]
    public async System.Threading.Tasks.Task Populate_answers_from_the_launch_and_the_chart()
    {
        using var response = await f.Browser.SendAsync(f.Post($"/api/Questionnaire/{TemplateDefinitions.NeurectomyId}/$populate", null));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var qr = FormWorld.Parse<QuestionnaireResponse>(body);
        Assert.Equal("Patient/test-classic-left", qr.Subject?.Reference);
        Assert.Equal("Encounter/test-classic-left-surgery", qr.Encounter?.Reference);
        Assert.Equal("Practitioner/test-surgeon", qr.Author?.Reference);
        Assert.StartsWith(Known.QuestionnaireUrl(TemplateDefinitions.NeurectomyId), qr.Questionnaire);
        var diagnosis = qr.Item.First(i => i.LinkId == LinkIds.PreopDiagnosis).Item.First(i => i.LinkId == LinkIds.PreopDiagnosisCode);
        Assert.Equal("M54.81", Assert.IsType<Coding>(diagnosis.Answer[0].Value).Code);
        Assert.Contains(diagnosis.Extension, e => e.Url == Known.Extensions.PrefillSource);
    }

    [Fact]
    public async System.Threading.Tasks.Task Populate_takes_a_parameters_body_and_refuses_another_patient()
    {
        var parameters = new Parameters();
        parameters.Add("subject", new ResourceReference("Patient/test-classic-left"));
        using var same = await f.Browser.SendAsync(f.Post($"/api/Questionnaire/{TemplateDefinitions.CoagulationId}/$populate", FormWorld.Json(parameters), "application/json"));
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);

        parameters.Parameter[0].Value = new ResourceReference("Patient/someone-else");
        using var other = await f.Browser.SendAsync(f.Post($"/api/Questionnaire/{TemplateDefinitions.CoagulationId}/$populate", FormWorld.Json(parameters)));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.IsType<OperationOutcome>(FormWorld.Parse<OperationOutcome>(await other.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async System.Threading.Tasks.Task An_unknown_template_is_a_404_outcome()
    {
        using var response = await f.Browser.SendAsync(f.Post("/api/Questionnaire/no-such-template/$populate", null));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var outcome = FormWorld.Parse<OperationOutcome>(await response.Content.ReadAsStringAsync());
        Assert.Contains("no-such-template", outcome.Issue[0].Diagnostics);
    }

    [Fact]
    public async System.Threading.Tasks.Task State_changing_calls_without_the_csrf_token_are_refused()
    {
        using var populate = await f.Browser.SendAsync(f.Post($"/api/Questionnaire/{TemplateDefinitions.NeurectomyId}/$populate", null, csrf: false));
        Assert.Equal(HttpStatusCode.Forbidden, populate.StatusCode);
        using var check = await f.Browser.SendAsync(f.Post("/api/notes/$check", FormWorld.Json(new QuestionnaireResponse()), csrf: false));
        Assert.Equal(HttpStatusCode.Forbidden, check.StatusCode);
        using var stranger = SmartWorld.Browser();
        using var noSession = await stranger.SendAsync(f.Post("/api/notes/$check", FormWorld.Json(new QuestionnaireResponse())));
        Assert.Equal(HttpStatusCode.Unauthorized, noSession.StatusCode);
    }

    [Fact]
    public async System.Threading.Tasks.Task Check_of_the_prefilled_draft_lists_what_is_missing()
    {
        using var populated = await f.Browser.SendAsync(f.Post($"/api/Questionnaire/{TemplateDefinitions.NeurectomyId}/$populate", null));
        var draft = await populated.Content.ReadAsStringAsync();
        using var response = await f.Browser.SendAsync(f.Post("/api/notes/$check", draft));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var outcome = FormWorld.Parse<OperationOutcome>(await response.Content.ReadAsStringAsync());
        Assert.Contains(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error && i.Details?.Coding[0].Code == "no-nerve-treated");
    }

    [Fact]
    public async System.Threading.Tasks.Task Check_of_a_right_sided_operation_on_a_left_sided_chart_is_a_laterality_error()
    {
        using var populated = await f.Browser.SendAsync(f.Post($"/api/Questionnaire/{TemplateDefinitions.NeurectomyId}/$populate", null));
        var qr = FormWorld.Parse<QuestionnaireResponse>(await populated.Content.ReadAsStringAsync());
        var right = NoteAnswers.For(Nerve.GreaterOccipital, Side.Right);
        var nerves = new QuestionnaireResponse.ItemComponent { LinkId = LinkIds.Nerves };
        var group = new QuestionnaireResponse.ItemComponent { LinkId = right.Group };
        group.Item.Add(new() { LinkId = right.Treated, Answer = [new() { Value = new FhirBoolean(true) }] });
        nerves.Item.Add(group);
        qr.Item.Insert(qr.Item.FindIndex(i => i.LinkId == LinkIds.Anaesthesia) + 1, nerves);
        using var response = await f.Browser.SendAsync(f.Post("/api/notes/$check", FormWorld.Json(qr)));
        var outcome = FormWorld.Parse<OperationOutcome>(await response.Content.ReadAsStringAsync());
        Assert.Contains(outcome.Issue, i => i.Details?.Coding[0].Code == "laterality-unconfirmed");
    }

    [Theory]
    [InlineData("{ not json", "application/fhir+json", HttpStatusCode.BadRequest)]
    [InlineData("{\"resourceType\":\"Patient\"}", "application/fhir+json", HttpStatusCode.BadRequest)]
    [InlineData("{\"resourceType\":\"QuestionnaireResponse\",\"status\":\"nonsense\"}", "application/fhir+json", HttpStatusCode.BadRequest)]
    [InlineData("{\"resourceType\":\"QuestionnaireResponse\",\"status\":\"in-progress\"}", "application/fhir+json", HttpStatusCode.UnprocessableEntity)]
    [InlineData("{\"resourceType\":\"QuestionnaireResponse\",\"status\":\"in-progress\",\"questionnaire\":\"http://elsewhere.example/Q/x\"}", "application/json", HttpStatusCode.UnprocessableEntity)]
    [InlineData("{\"resourceType\":\"QuestionnaireResponse\",\"status\":\"in-progress\"}", "text/plain", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("", "application/fhir+json", HttpStatusCode.BadRequest)]
    public async System.Threading.Tasks.Task Bad_input_to_check_is_an_outcome_never_a_500(string body, string contentType, HttpStatusCode expected)
    {
        using var response = await f.Browser.SendAsync(f.Post("/api/notes/$check", body, contentType));
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var outcome = FormWorld.Parse<OperationOutcome>(await response.Content.ReadAsStringAsync());
        Assert.False(string.IsNullOrWhiteSpace(outcome.Issue[0].Diagnostics));
    }
}
