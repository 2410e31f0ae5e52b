using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Checks;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;
using Rhizotomy.Core.Tests.TestData;
using static Rhizotomy.Core.Tests.TestData.Responses;
using static Rhizotomy.Tests.Shared.NoteAnswers;
using R = Hl7.Fhir.Model.QuestionnaireResponse;

namespace Rhizotomy.Core.Tests.Templates;

/// <summary>Whatever a client sends, the reader answers with OperationOutcome errors, never an exception.</summary>
public class BadInputTests
{
    private static NoteReadResult Read(QuestionnaireResponse qr, CaseEvidence? evidence = null) =>
        NoteReader.Read(NeurectomyTemplate, qr, Cases.Context(), evidence ?? Cases.ClassicLeft());

    private static List<OperationOutcome.IssueComponent> Errors(NoteReadResult result)
    {
        Assert.Null(result.Note);
        var errors = result.Outcome.Issue.Where(i => i.Severity == OperationOutcome.IssueSeverity.Error).ToList();
        Assert.NotEmpty(errors);
        return errors;
    }

    private static string Key(OperationOutcome.IssueComponent i) => i.Details!.Coding.Single(c => c.System == Known.NoteCheckSystem).Code!;

    [Fact]
    public void A_response_to_another_template_is_refused()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        qr.Questionnaire = "http://example.org/fhir/Questionnaire/appendectomy";

        var error = Assert.Single(Errors(Read(qr)));

        Assert.Equal("unknown-template", Key(error));
        Assert.Equal("QuestionnaireResponse.questionnaire", error.Expression.Single());
    }

    [Fact]
    public void A_response_to_another_version_or_to_no_template_is_refused()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        qr.Questionnaire = Known.QuestionnaireUrl(TemplateDefinitions.NeurectomyId) + "|0.1";
        Assert.Equal("This response was written for version 0.1 of the template; version 1.0.0 is loaded.", Assert.Single(Errors(Read(qr))).Details!.Text);

        qr.Questionnaire = null;
        Assert.Equal("unknown-template", Key(Assert.Single(Errors(Read(qr)))));
    }

    [Fact]
    public void Unknown_linkIds_are_named_in_the_outcome()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        qr.Item.Add(new R.ItemComponent { LinkId = "favourite-colour" });
        Set(qr, [LinkIds.Nerves, "treat-gon-middle", "gon-middle-treated"], new FhirBoolean(true));

        var errors = Errors(Read(qr));

        Assert.Equal(
        [
            "QuestionnaireResponse.item.where(linkId='favourite-colour')",
            "QuestionnaireResponse.item.where(linkId='nerves').item.where(linkId='treat-gon-middle')",
        ], errors.Select(e => e.Expression.Single()).Order());
        Assert.All(errors, e => Assert.Equal(OperationOutcome.IssueType.Structure, e.Code));
        Assert.Contains(errors, e => e.Details!.Text == "This response has an item 'favourite-colour' that the template does not have here.");
    }

    [Fact]
    public void Wrong_answer_types_are_errors_on_the_item()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Set(qr, [LinkIds.EstimatedBloodLoss], new FhirString("a little"));
        Set(qr, [LinkIds.Consent, LinkIds.ConsentObtained], new Integer(1));
        Set(qr, [LinkIds.Performed, LinkIds.PerformedStart], new Coding("http://example.org", "morning"));
        Set(qr, [LinkIds.Nerves, "treat-gon-left", "gon-left-stump"], new FhirString("buried"));

        var errors = Errors(Read(qr)).ToDictionary(e => e.Expression.Single()!, e => e.Details!.Text);

        Assert.Equal("Estimated blood loss must be a number.", errors["QuestionnaireResponse.item.where(linkId='estimated-blood-loss')"]);
        Assert.Equal("Consent: informed consent obtained must be yes or no.", errors["QuestionnaireResponse.item.where(linkId='consent').item.where(linkId='consent-obtained')"]);
        Assert.Equal("Time of operation: start must be a date and time.", errors["QuestionnaireResponse.item.where(linkId='performed').item.where(linkId='performed-start')"]);
        Assert.Equal("Left greater occipital nerve: proximal stump management is not one of the answers offered.",
            errors["QuestionnaireResponse.item.where(linkId='nerves').item.where(linkId='treat-gon-left').item.where(linkId='gon-left-stump')"]);
    }

    [Fact]
    public void A_code_outside_the_bound_value_set_is_an_error()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Set(qr, [LinkIds.Nerves, "treat-gon-left", "gon-left-findings"], new Coding(Known.ProjectCodeSystem, "nerve-glowing"));

        Assert.Equal("Left greater occipital nerve: findings is not one of the answers offered.", Assert.Single(Errors(Read(qr))).Details!.Text);
    }

    [Fact]
    public void Ten_thousand_items_are_refused_without_reading_them()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        var indication = qr.Item.Single(i => i.LinkId == LinkIds.Indication);
        for (var i = 0; i < 10_000; i++)
        {
            indication.Item.Add(new R.ItemComponent { LinkId = LinkIds.Imaging });
        }

        var error = Assert.Single(Errors(Read(qr)));

        Assert.Equal((OperationOutcome.IssueType.TooCostly, "too-large"), (error.Code, Key(error)));
    }

    [Fact]
    public void Absurdly_deep_nesting_is_refused()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        var item = qr.Item[0];
        for (var i = 0; i < 200; i++)
        {
            var child = new R.ItemComponent { LinkId = "x" };
            item.Item.Add(child);
            item = child;
        }

        Assert.Equal("too-large", Key(Assert.Single(Errors(Read(qr)))));
    }

    [Fact]
    public void Hostile_linkIds_cannot_break_out_of_the_FHIRPath_expression()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        qr.Item.Add(new R.ItemComponent { LinkId = "x') or true or ('\\\u0001" });

        var error = Assert.Single(Errors(Read(qr)));

        Assert.Equal(@"QuestionnaireResponse.item.where(linkId='x\') or true or (\'\\')", error.Expression.Single());
    }

    [Fact]
    public void Hostile_text_answers_are_refused_but_markup_is_just_text()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Set(qr, [LinkIds.Approach, LinkIds.Incision], new FhirString(new string('A', 1_000_000)));
        Set(qr, [LinkIds.Plan, LinkIds.PlanPain], new FhirString("paracetamol\u0000; DROP TABLE notes"));
        Set(qr, [LinkIds.Plan, LinkIds.FollowUp], new FhirString("<script>alert(1)</script>"));

        var errors = Errors(Read(qr)).Select(e => e.Details!.Text).ToList();

        Assert.Equal(
        [
            "Approach: approach and incision is longer than 20000 characters.",
            "Post-operative plan: pain management contains characters that are not allowed in text.",
        ], errors);
        Assert.All(errors, e => Assert.True(e!.Length < 200));
    }

    [Fact]
    public void Empty_answers_repeated_items_and_answers_on_headings_are_errors()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        var followUp = qr.Item.Single(i => i.LinkId == LinkIds.Plan).Item.Single(i => i.LinkId == LinkIds.FollowUp);
        followUp.Answer = [new R.AnswerComponent()];
        qr.Item.Add(new R.ItemComponent { LinkId = LinkIds.EstimatedBloodLoss, Answer = [new R.AnswerComponent { Value = new FhirDecimal(1) }] });
        qr.Item.Single(i => i.LinkId == LinkIds.Consent).Answer.Add(new R.AnswerComponent { Value = new FhirBoolean(true) });
        qr.Item.Add(new R.ItemComponent());

        var keys = Errors(Read(qr)).Select(Key).Order().ToList();

        Assert.Equal(["invalid-answer", "repeated-item", "unknown-item", "wrong-type"], keys);
    }

    [Fact]
    public void An_empty_response_lists_what_is_missing_and_does_not_throw()
    {
        var qr = new QuestionnaireResponse { Questionnaire = NeurectomyTemplate.Url, Status = R.QuestionnaireResponseStatus.Completed };

        var keys = Errors(Read(qr)).Select(Key).ToHashSet();

        Assert.Contains("required", keys);
        Assert.Contains("no-nerve-treated", keys);
        Assert.Contains("complications-missing", keys);
    }

    [Fact]
    public void A_template_handed_in_directly_gets_the_catalogs_scrutiny()
    {
        var broken = TemplateDefinitions.Build(Technique.Neurectomy);
        broken.Item.RemoveAll(i => i.LinkId == LinkIds.Performed);

        var error = Assert.Single(Errors(NoteReader.Read(broken, CompletedLeftNeurectomy(Cases.ClassicLeft()), Cases.Context(), Cases.ClassicLeft())));

        Assert.Equal("template-unusable", Key(error));
        Assert.Contains("performed-start", error.Details!.Text);
    }

    [Fact]
    public void A_site_template_that_does_not_require_the_times_still_gets_them_asked_for()
    {
        var site = TemplateDefinitions.Build(Technique.Neurectomy);
        foreach (var item in TemplateCatalog.Flatten(site.Item).Where(i => i.LinkId is LinkIds.Performed or LinkIds.PerformedStart or LinkIds.PerformedEnd))
        {
            item.Required = null;
        }
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft(), site);
        Remove(qr, LinkIds.Performed, LinkIds.PerformedEnd);

        var error = Assert.Single(Errors(NoteReader.Read(site, qr, Cases.Context(), Cases.ClassicLeft())));

        Assert.Equal("Time of operation: end is missing.", error.Details!.Text);
    }

    [Fact]
    public void Too_many_answers_to_one_item_are_refused()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        Set(qr, [LinkIds.Nerves, "treat-gon-left", "gon-left-findings"],
            [.. Enumerable.Repeat<DataType>(Project(Known.Codes.FindingEntrapped), 10_000)]);

        Assert.Equal("too-large", Key(Assert.Single(Errors(Read(qr)))));
    }

    [Fact]
    public void Missing_evidence_lists_do_not_throw()
    {
        var broken = new CaseEvidence(null!, null!, null!, null!, null!);

        var outcome = NoteChecks.Check(NeurectomyTemplate, CompletedLeftNeurectomy(Cases.ClassicLeft()), broken);

        Assert.Contains(outcome.Issue, i => Key(i) == "laterality-unconfirmed");
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json at all")]
    [InlineData("{ \"resourceType\": \"QuestionnaireResponse\", ")]
    [InlineData("{ \"resourceType\": \"Patient\", \"id\": \"p1\" }")]
    [InlineData("{ \"resourceType\": \"QuestionnaireResponse\", \"status\": \"bogus\" }")]
    [InlineData("[1, 2, 3]")]
    public void Bad_JSON_gives_an_OperationOutcome_not_an_exception(string json)
    {
        Assert.False(NoteReader.TryParse(json, out var response, out var outcome));

        Assert.Null(response);
        var issue = Assert.Single(outcome!.Issue);
        Assert.Equal(OperationOutcome.IssueSeverity.Error, issue.Severity);
        Assert.Equal("invalid-json", Key(issue));
        Assert.DoesNotContain("bogus", issue.Details!.Text);
    }

    [Fact]
    public void Deeply_nested_JSON_gives_an_OperationOutcome_not_a_stack_overflow()
    {
        var json = "{\"resourceType\":\"QuestionnaireResponse\",\"status\":\"completed\",\"item\":["
            + string.Concat(Enumerable.Repeat("{\"linkId\":\"x\",\"item\":[", 5_000))
            + string.Concat(Enumerable.Repeat("]}", 5_000)) + "]}";

        var parsed = NoteReader.TryParse(json, out var response, out var outcome);

        // Either the parser refuses it, or the reader does: never an exception.
        var result = parsed ? Read(response!) : new NoteReadResult(null, outcome!);
        Assert.Null(result.Note);
        Assert.Contains(result.Outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error);
    }

    [Fact]
    public void A_response_sent_as_JSON_parses_and_reads_like_the_object()
    {
        var json = new FhirJsonSerializer().SerializeToString(CompletedLeftNeurectomy(Cases.ClassicLeft()));

        Assert.True(NoteReader.TryParse(json, out var response, out var outcome));

        Assert.Null(outcome);
        Assert.True(Read(response!).CanSign);
    }
}
