using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.App.Tests;

/// <summary>Charts the tests put into the sandbox (named like the sandbox's synthetic patients they imitate).</summary>
public static class Charts
{
    public static Resource[] ClassicLeft(string id = "test-classic-left") =>
    [
        new Patient { Id = id, Name = [new HumanName { Family = "Testperson", Given = ["Alex"] }], BirthDate = "1980-04-02", Gender = AdministrativeGender.Female },
        new Practitioner { Id = "test-surgeon", Name = [new HumanName { Family = "Cutter", Given = ["Sam"], Prefix = ["Dr"] }] },
        new Encounter
        {
            Id = id + "-surgery", Status = Encounter.EncounterStatus.Planned, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
            Subject = new ResourceReference("Patient/" + id), Type = [new CodeableConcept { Text = "Day surgery" }],
        },
        new Condition
        {
            Id = id + "-on", Subject = new ResourceReference("Patient/" + id),
            ClinicalStatus = new CodeableConcept(Known.Systems.ConditionClinical, "active"),
            VerificationStatus = new CodeableConcept(Known.Systems.ConditionVerification, "confirmed"),
            Code = new CodeableConcept(Known.Systems.Icd10Cm, "M54.81", "Occipital neuralgia"),
            BodySite = [new CodeableConcept(Known.Systems.Snomed, Known.Snomed.Left, "Left")],
            Onset = new FhirDateTime("2022-03"),
        },
        new Procedure
        {
            Id = id + "-block", Status = EventStatus.Completed, Subject = new ResourceReference("Patient/" + id),
            Code = new CodeableConcept(Known.ProjectCodeSystem, Known.Codes.OccipitalNerveBlock, "Occipital nerve block"),
            BodySite = [new CodeableConcept(Known.ProjectCodeSystem, Known.Codes.GreaterOccipitalNerve), new CodeableConcept(Known.Systems.Snomed, Known.Snomed.Left)],
            Performed = new FhirDateTime("2024-01-15"), Outcome = new CodeableConcept { Text = "85% relief for 8 hours" },
        },
        new DiagnosticReport
        {
            Id = id + "-mri", Status = DiagnosticReport.DiagnosticReportStatus.Final, Subject = new ResourceReference("Patient/" + id),
            Code = new CodeableConcept { Text = "MRI brain" }, Effective = new FhirDateTime("2023-06-01"), Conclusion = "Normal",
        },
        new MedicationStatement
        {
            Id = id + "-gaba", Status = MedicationStatement.MedicationStatusCodes.Stopped, Subject = new ResourceReference("Patient/" + id),
            Medication = new CodeableConcept { Text = "Gabapentin" }, Effective = new Period { Start = "2022-05", End = "2022-11" },
        },
    ];
}
