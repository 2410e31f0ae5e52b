using Hl7.Fhir.Model;
using Rhizotomy.Core.Checks;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Evidence;
using Rhizotomy.Core.Prefill;
using Rhizotomy.Core.Templates;
using Rhizotomy.Core.Tests.TestData;
using static Rhizotomy.Core.Tests.TestData.Responses;

namespace Rhizotomy.Core.Tests.Prefill;

/// <summary>From chart resources through the real case-evidence builder to the draft and the checks.</summary>
public class ChartPrefillTests
{
    private static string? SourceOf(Element element) =>
        element.GetExtensionValue<ResourceReference>(Known.Extensions.PrefillSource)?.Reference;

    [Fact]
    public void Classic_left_chart_prefills_its_left_GON_blocks_with_relief_traced_to_the_Procedures()
    {
        var evidence = CaseEvidenceBuilder.Build(Charts.ClassicLeft());

        var qr = Populator.Populate(NeurectomyTemplate, Launch(), evidence);

        var diagnosis = qr.Item.Single(i => i.LinkId == LinkIds.PreopDiagnosis);
        Assert.Equal("Condition/classic-left-on", SourceOf(diagnosis));
        var blocks = qr.Item.Single(i => i.LinkId == LinkIds.Indication).Item.Where(i => i.LinkId == LinkIds.PriorBlock).ToList();
        Assert.Equal(["Procedure/classic-left-block-1", "Procedure/classic-left-block-2"], blocks.Select(SourceOf));
        Assert.All(blocks, b => Assert.Equal(Known.Snomed.Left,
            Assert.IsType<Coding>(b.Item.Single(i => i.LinkId == LinkIds.PriorBlockSide).Answer[0].Value).Code));
        Assert.Equal([80, 90], blocks.Select(b => Assert.IsType<Integer>(b.Item.Single(i => i.LinkId == LinkIds.PriorBlockReliefPercent).Answer[0].Value).Value));
    }

    [Fact]
    public void Laterality_trap_chart_stops_a_left_operation_until_the_surgeon_gives_a_reason()
    {
        var evidence = CaseEvidenceBuilder.Build(Charts.LateralityTrap());
        var qr = CompletedLeftNeurectomy(evidence);

        var outcome = NoteChecks.Check(NeurectomyTemplate, qr, evidence);

        // The chart's right diagnosis against the left nerve (a reason may override it), and the note's own pre-operative
        // diagnosis, prefilled right, against the left nerve (the note must tell one story).
        var errors = outcome.Issue.Where(i => i.Severity == OperationOutcome.IssueSeverity.Error).ToList();
        Assert.Equal(["laterality-unconfirmed", "laterality-diagnosis-side"], errors.Select(e => e.Details!.Coding[0].Code));
        Assert.Equal("QuestionnaireResponse.item.where(linkId='nerves').item.where(linkId='treat-gon-left').item.where(linkId='gon-left-laterality-reason')",
            errors[0].Expression.Single());
    }

    [Fact]
    public void A_left_GON_block_coded_only_with_CPT_64405_answers_the_checks_need_for_a_block_of_that_nerve()
    {
        // Issue 17: the check warned, falsely, that no block of the nerve was on record.
        var chart = Charts.ClassicLeft().Select(r => r is Procedure { Id: var id } p && id!.Contains("block", StringComparison.Ordinal)
            ? new Procedure { Id = p.Id, Status = p.Status, Subject = p.Subject, Performed = p.Performed, Outcome = p.Outcome,
                Code = new CodeableConcept(Known.Systems.Cpt, "64405"), BodySite = [new CodeableConcept(Known.Systems.Snomed, Known.Snomed.Left)] }
            : r).ToList();
        var evidence = CaseEvidenceBuilder.Build(chart);

        var outcome = NoteChecks.Check(NeurectomyTemplate, CompletedLeftNeurectomy(evidence), evidence);

        Assert.Equal(2, evidence.Blocks.Count);
        Assert.DoesNotContain(outcome.Issue, i => i.Details?.Coding.Any(c => c.Code == "no-diagnostic-block") == true);
    }

    [Fact]
    public void A_draft_with_the_note_identifier_is_valid_against_the_project_QuestionnaireResponse_profile()
    {
        var evidence = CaseEvidenceBuilder.Build(Charts.ClassicLeft());
        var qr = Populator.Populate(NeurectomyTemplate, Launch() with { NoteId = "note-1" }, evidence);

        Assert.Equal((Known.NoteIdentifierSystem, "note-1"), (qr.Identifier?.System, qr.Identifier?.Value));
        var errors = BaseR4.Errors(BaseR4.Validate(qr, Known.Profiles.QuestionnaireResponse)).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}

/// <summary>The response the app files at signing, against the published US Core profile it restates.</summary>
public class SignedResponseConformanceTests(Validation.ValidationFixture validation) : IClassFixture<Validation.ValidationFixture>
{
    [Fact]
    public void A_completed_response_is_valid_against_US_Core_QuestionnaireResponse()
    {
        var evidence = CaseEvidenceBuilder.Build(Charts.ClassicLeft());
        var qr = CompletedLeftNeurectomy(evidence);
        qr.Identifier = new Identifier(Known.NoteIdentifierSystem, "note-1");
        qr.Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed;

        var outcome = validation.Published.Validate(qr, Known.Profiles.UsCoreQuestionnaireResponse);

        Assert.True(Validation.ValidationFixture.Errors(outcome).Length == 0, Validation.ValidationFixture.Errors(outcome));
    }
}
