using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Tests.TestData;

/// <summary>
/// The chart of the synthetic patients the checks and prefill are about, as the case-evidence builder
/// would give it (built in C#, not typed as FHIR JSON).
/// </summary>
internal static class Cases
{
    public static readonly Ref Patient = new("Patient/classic-left", "Synthetic Patient Classic");
    public static readonly Ref Encounter = new("Encounter/classic-left-surgery");
    public static readonly Ref Surgeon = new("Practitioner/surgeon-1", "Dr Synthetic Surgeon");
    public static readonly DateTimeOffset Authored = new(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);

    public static EvidenceDiagnosis OccipitalNeuralgia(Side? side, string id, bool active = true) => new(
        new Ref($"Condition/{id}", "Occipital neuralgia"),
        new Concept(Known.Systems.Icd10Cm, Known.Icd10Cm.OccipitalNeuralgia, "Occipital neuralgia"),
        TextOnly: false, side, active, "2025-01");

    /// <summary>Left occipital neuralgia; two left GON blocks with good relief; medication and physiotherapy failed; MRI.</summary>
    public static CaseEvidence ClassicLeft() => new(
        [OccipitalNeuralgia(Side.Left, "classic-left-on")],
        [
            new PriorBlock("2026-05-12", Nerve.GreaterOccipital, Side.Left, 80, "80% relief for 6 hours", new Ref("Procedure/classic-left-block-1")),
            new PriorBlock("2026-07-02T10:15:00Z", Nerve.GreaterOccipital, Side.Left, 90, null, new Ref("Procedure/classic-left-block-2")),
        ],
        [
            new TherapyTried("medication", "Gabapentin 300 mg three times daily", "2025-02/2025-10", true, new Ref("MedicationStatement/classic-left-gabapentin")),
            new TherapyTried("physical-therapy", "Physical therapy, 12 sessions", "2025", true, new Ref("Procedure/classic-left-pt")),
        ],
        [new Imaging("MRI cervical spine: no structural cause", "2025-03-01", new Ref("DiagnosticReport/classic-left-mri"))],
        []);

    /// <summary>The laterality trap: the chart's neuralgia is on the right, the only block was on the left.</summary>
    public static CaseEvidence LateralityTrap() => new(
        [OccipitalNeuralgia(Side.Right, "trap-right-on")],
        [new PriorBlock("2026-04-01", Nerve.GreaterOccipital, Side.Left, 70, null, new Ref("Procedure/trap-block-left"))],
        [new TherapyTried("medication", "Amitriptyline", null, true, new Ref("MedicationStatement/trap-amitriptyline"))],
        [new Imaging("MRI brain: normal", "2025-11-10", new Ref("DiagnosticReport/trap-mri"))],
        []);

    /// <summary>A chart with nothing relevant in it.</summary>
    public static CaseEvidence Empty() => new([], [], [], [], []);

    public static NoteContext Context() => new("note-1", Patient, Encounter, Surgeon, new Ref("Organization/site", "Synthetic Hospital"),
        new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero));
}
