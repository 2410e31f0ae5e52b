using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Evidence;

namespace Rhizotomy.Core.Tests.Evidence;

/// <summary>
/// What the second reader's corpus charts (corpus-23 ... corpus-32) found the builder misreading, one test each
/// (each failed before the fix; CorpusTests holds the whole charts).
/// </summary>
public class SecondReaderTests
{
    private static Procedure Block(string id, string? text, string? note = null, string? site = null, EventStatus status = EventStatus.Completed) => new()
    {
        Id = id,
        Status = status,
        Code = text is null ? new CodeableConcept(Known.Systems.Cpt, "64405") : new CodeableConcept { Text = text },
        BodySite = site is null ? [] : [new CodeableConcept(Known.Systems.Snomed, site)],
        Note = note is null ? [] : [new Annotation { Text = new Markdown(note) }],
        Performed = new FhirDateTime("2025-04-02"),
    };

    private static MedicationRequest Order(string id, string text, MedicationRequest.MedicationrequestStatus status, MedicationRequest.MedicationRequestIntent intent) => new()
    {
        Id = id,
        Status = status,
        Intent = intent,
        Medication = new CodeableConcept { Text = text },
        Subject = new ResourceReference("Patient/p1"),
    };

    [Theory]
    [InlineData("GON blk L", null, Side.Left)]
    [InlineData("Third occipital nerve block (TON) L, fluoro guided", null, Side.Left)]
    [InlineData("LON injection", "s/p R LON inj ~60% better", Side.Right)]
    [InlineData("Bilat GON blocks", null, null)]
    public void Shorthand_blocks_and_sides_are_read(string text, string? note, Side? side)
    {
        var blocks = CaseEvidenceBuilder.Build([Block("b1", text, note)]).BlockDetails;

        if (side is null)
            Assert.Equal([Side.Left, Side.Right], blocks.Select(b => b.Side));
        else
            Assert.Equal(side, Assert.Single(blocks).Side);
    }

    [Theory]
    [InlineData("L4-5 occipital nerve block")]
    [InlineData("Occipital nerve block R/O")]
    public void A_capital_letter_inside_a_level_or_an_abbreviation_is_no_side(string text)
    {
        Assert.Null(Assert.Single(CaseEvidenceBuilder.Build([Block("b1", text)]).BlockDetails).Side);
    }

    [Fact]
    public void SNOMED_unilateral_left_and_right_are_sides_without_any_display()
    {
        var blocks = CaseEvidenceBuilder.Build([Block("b1", null, site: "419161000"), Block("b2", null, site: "419465000")]).BlockDetails;

        Assert.Equal([Side.Left, Side.Right], blocks.Select(b => b.Side));
        Assert.All(blocks, b => Assert.False(b.Facts.Single(f => f.Name == "side").FromText));
    }

    [Fact]
    public void A_block_recorded_on_one_side_whose_note_names_the_other_has_no_side_and_is_flagged()
    {
        var evidence = CaseEvidenceBuilder.Build([Block("b1", null, "R GON block performed. 70% relief x 2 days.", Known.Snomed.Left)]);

        var block = Assert.Single(evidence.BlockDetails);
        Assert.Null(block.Side);
        Assert.Equal(70, block.ReliefPercent);
        Assert.Contains(evidence.Flags, f => f.Code == "side-conflict" && f.Source.Reference == "Procedure/b1");
    }

    [Fact]
    public void Pain_written_after_then_before_gives_the_relief_and_numbness_is_not_relief()
    {
        var block = Assert.Single(CaseEvidenceBuilder.Build(
            [Block("b1", "Left GON block #2", "Marcaine 0.5% 3cc. 100% numbness in GON distribution. Pt reports pain 3/10, was 6/10 pre-injection.")]).BlockDetails);

        Assert.Equal(50, block.ReliefPercent);
    }

    [Fact]
    public void A_scheduled_block_and_orders_never_acted_on_are_not_evidence()
    {
        var evidence = CaseEvidenceBuilder.Build(
        [
            Block("b1", "Left GON block", status: EventStatus.Preparation),
            Order("m1", "topiramate 25 mg", MedicationRequest.MedicationrequestStatus.Draft, MedicationRequest.MedicationRequestIntent.Proposal),
            Order("m2", "Lyrica 75 mg", MedicationRequest.MedicationrequestStatus.Active, MedicationRequest.MedicationRequestIntent.Plan),
            Order("m3", "Imitrex 50 mg", MedicationRequest.MedicationrequestStatus.Cancelled, MedicationRequest.MedicationRequestIntent.Order),
            Order("m4", "Aimovig 70 mg/mL", MedicationRequest.MedicationrequestStatus.Stopped, MedicationRequest.MedicationRequestIntent.Order),
        ]);

        Assert.Empty(evidence.BlockDetails);
        Assert.Equal("MedicationRequest/m4", Assert.Single(evidence.TherapyDetails).Therapy.Source!.Reference);
    }

    [Fact]
    public void A_headache_class_drug_given_for_a_charted_other_diagnosis_is_listed_apart()
    {
        var carpalTunnel = new Condition { Id = "c2", Code = new CodeableConcept { Text = "Carpal tunnel syndrome, right" } };
        MedicationStatement Gabapentin(string id, params ResourceReference[] reasons) => new()
        {
            Id = id,
            Status = MedicationStatement.MedicationStatusCodes.Stopped,
            Medication = new CodeableConcept("http://www.nlm.nih.gov/research/umls/rxnorm", "25480", "gabapentin"),
            ReasonReference = [.. reasons],
        };

        var therapies = CaseEvidenceBuilder.Build([carpalTunnel, Gabapentin("m1", new ResourceReference("Condition/c2")), Gabapentin("m2")]).TherapyDetails;

        Assert.False(therapies.Single(t => t.Therapy.Source!.Reference == "MedicationStatement/m1").Counts);
        Assert.True(therapies.Single(t => t.Therapy.Source!.Reference == "MedicationStatement/m2").Counts);
    }

    [Fact]
    public void Trigger_point_injections_for_the_neuralgia_are_a_therapy_tried_and_a_lumbar_epidural_is_nothing()
    {
        var neuralgia = new Condition { Id = "c1", Code = new CodeableConcept(Known.Systems.Icd10Cm, "M54.81") { Text = "Occipital neuralgia" } };
        Procedure Injection(string id, string text) => new()
        {
            Id = id,
            Status = EventStatus.Completed,
            Code = new CodeableConcept { Text = text },
            Performed = new FhirDateTime("2024-05-01"),
            ReasonReference = [new ResourceReference("Condition/c1")],
        };

        var evidence = CaseEvidenceBuilder.Build(
            [neuralgia, Injection("t1", "Trigger point injections x4, bilateral upper trapezius"), Injection("t2", "L4-5 transforaminal epidural steroid injection")]);

        var therapy = Assert.Single(evidence.TherapyDetails);
        Assert.Equal(("other", "Procedure/t1", true), (therapy.Therapy.Kind, therapy.Therapy.Source!.Reference, therapy.Counts));
        Assert.Empty(evidence.BlockDetails);
    }
}
