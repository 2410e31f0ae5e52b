using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Tests.TestData;

/// <summary>
/// Charts as an EHR holds them (Firely objects built in code), shaped like the sandbox's synthetic
/// patients of the same names, for tests that go through the real case-evidence builder.
/// </summary>
internal static class Charts
{
    private static Condition Neuralgia(string patient, string id, string side) => new()
    {
        Id = id,
        Subject = new ResourceReference("Patient/" + patient),
        ClinicalStatus = new CodeableConcept(Known.Systems.ConditionClinical, "active"),
        VerificationStatus = new CodeableConcept(Known.Systems.ConditionVerification, "confirmed"),
        Code = new CodeableConcept(Known.Systems.Icd10Cm, Known.Icd10Cm.OccipitalNeuralgia, "Occipital neuralgia"),
        BodySite = [new CodeableConcept(Known.Systems.Snomed, side)],
        Onset = new FhirDateTime("2024-03"),
    };

    private static Procedure GonBlock(string patient, string id, string side, string date, string relief) => new()
    {
        Id = id,
        Status = EventStatus.Completed,
        Subject = new ResourceReference("Patient/" + patient),
        Code = new CodeableConcept(Known.ProjectCodeSystem, Known.Codes.OccipitalNerveBlock, "Occipital nerve block"),
        BodySite =
        [
            new CodeableConcept(Known.ProjectCodeSystem, Known.Codes.GreaterOccipitalNerve),
            new CodeableConcept(Known.Systems.Snomed, side),
        ],
        Performed = new FhirDateTime(date),
        Outcome = new CodeableConcept { Text = relief },
    };

    private static DiagnosticReport Mri(string patient, string id) => new()
    {
        Id = id,
        Status = DiagnosticReport.DiagnosticReportStatus.Final,
        Subject = new ResourceReference("Patient/" + patient),
        Code = new CodeableConcept { Text = "MRI cervical spine" },
        Effective = new FhirDateTime("2024-06-01"),
        Conclusion = "No structural cause",
    };

    /// <summary>Left occipital neuralgia, two left GON blocks with relief, MRI.</summary>
    public static Resource[] ClassicLeft() =>
    [
        new Patient { Id = "classic-left" },
        Neuralgia("classic-left", "classic-left-on", Known.Snomed.Left),
        GonBlock("classic-left", "classic-left-block-1", Known.Snomed.Left, "2025-01-15", "80% relief for 8 hours"),
        GonBlock("classic-left", "classic-left-block-2", Known.Snomed.Left, "2025-04-02", "90% relief"),
        Mri("classic-left", "classic-left-mri"),
    ];

    /// <summary>Right occipital neuralgia on the chart; the only block was on the left.</summary>
    public static Resource[] LateralityTrap() =>
    [
        new Patient { Id = "laterality-trap" },
        Neuralgia("laterality-trap", "laterality-trap-on", Known.Snomed.Right),
        GonBlock("laterality-trap", "laterality-trap-block", Known.Snomed.Left, "2025-02-10", "70% relief"),
        Mri("laterality-trap", "laterality-trap-mri"),
    ];
}
