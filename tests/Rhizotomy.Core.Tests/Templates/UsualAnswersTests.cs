using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;
using Rhizotomy.Core.Tests.TestData;
using Rhizotomy.Tests.Shared;
using Q = Hl7.Fhir.Model.Questionnaire;

namespace Rhizotomy.Core.Tests.Templates;

/// <summary>"My usual" is template data: the carry-over extension says which answers a previous note may fill.</summary>
public class UsualAnswersTests
{
    private static readonly NerveSide LeftGon = NoteAnswers.For(Nerve.GreaterOccipital, Side.Left);
    private static readonly NerveSide RightGon = NoteAnswers.For(Nerve.GreaterOccipital, Side.Right);

    public static TheoryData<string> Templates => [TemplateDefinitions.NeurectomyId, TemplateDefinitions.CoagulationId];

    private static Q Template(string id) => id == TemplateDefinitions.NeurectomyId ? Responses.NeurectomyTemplate : Responses.CoagulationTemplate;

    [Theory]
    [MemberData(nameof(Templates))]
    public void The_shipped_templates_never_let_side_time_out_consent_complications_blood_loss_times_or_findings_be_carried(string id)
    {
        var template = Template(id);
        var carried = TemplateCatalog.Flatten(template.Item).Where(UsualAnswers.IsCarried).Select(i => i.LinkId!).ToHashSet();
        string[] never =
        [
            "time-out", LinkIds.ConsentObtained, LinkIds.RisksDiscussed, LinkIds.Complication, "complications-text", LinkIds.EstimatedBloodLoss,
            LinkIds.PerformedStart, LinkIds.PerformedEnd, "preop-diagnosis-code", "preop-diagnosis-side", "postop-diagnosis-code", "postop-diagnosis-side",
            "team-member-name", "counts",
        ];
        Assert.Empty(carried.Intersect(never));
        foreach (var nerveSide in NerveSides.Of(template))
        {
            Assert.DoesNotContain(nerveSide.Treated, carried);
            Assert.DoesNotContain(nerveSide.Findings, carried);
            Assert.DoesNotContain(nerveSide.FindingsText, carried);
            Assert.DoesNotContain(nerveSide.LateralityReason, carried);
            Assert.Contains(nerveSide.Technique, carried);
        }
        // The surgeon's technique, closure and plan.
        Assert.Superset(new HashSet<string> { LinkIds.Anaesthesia, LinkIds.Incision, "closure", "dressing", LinkIds.Disposition, LinkIds.PlanPain, LinkIds.FollowUp }, carried);
    }

    [Fact]
    public void A_left_neurectomy_carries_its_technique_to_either_side_of_the_same_nerve_and_nothing_of_the_patient()
    {
        var previous = Responses.CompletedLeftNeurectomy(Cases.ClassicLeft());
        NoteAnswers.Set(previous, [LinkIds.Nerves, LeftGon.Group, LeftGon.SegmentLength], new FhirDecimal(14m));
        var carried = UsualAnswers.From(Responses.NeurectomyTemplate, previous).ToDictionary(c => c.Target);

        Assert.Equal(LeftGon.SegmentLength, carried[RightGon.SegmentLength].Source);
        Assert.Equal(14m, Assert.IsType<FhirDecimal>(carried[LeftGon.SegmentLength].Answers.Single().Value).Value);
        Assert.Equal(14m, Assert.IsType<FhirDecimal>(carried[RightGon.SegmentLength].Answers.Single().Value).Value);
        Assert.Contains(LeftGon.Stump, carried.Keys);
        Assert.Contains(LinkIds.Incision, carried.Keys);
        Assert.Contains(LinkIds.PlanPain, carried.Keys);
        // Not a nerve the previous note did not treat; never its side, findings, times, blood loss or the chart's answers.
        Assert.DoesNotContain(NoteAnswers.For(Nerve.LesserOccipital, Side.Left).Technique, carried.Keys);
        foreach (var never in new[] { LeftGon.Treated, LeftGon.Findings, LinkIds.EstimatedBloodLoss, LinkIds.PerformedStart, "time-out", LinkIds.ConsentObtained, LinkIds.Complication, "preop-diagnosis-code" })
            Assert.DoesNotContain(never, carried.Keys);
        Assert.All(carried.Values, c => Assert.All(c.Answers, a => Assert.Empty(a.Extension)));
    }

    [Fact]
    public void An_item_without_the_extension_is_not_carried_so_a_site_decides_by_editing_its_template()
    {
        var template = (Q)Responses.NeurectomyTemplate.DeepCopy();
        var incision = TemplateCatalog.Flatten(template.Item).Single(i => i.LinkId == LinkIds.Incision);
        incision.RemoveExtension(Sdc.CarryOver);
        var carried = UsualAnswers.From(template, Responses.CompletedLeftNeurectomy(Cases.ClassicLeft())).Select(c => c.Target);
        Assert.DoesNotContain(LinkIds.Incision, carried);
        Assert.Contains(LinkIds.PlanPain, carried);
    }
}
