using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Profiles;

/// <summary>One section of the C-CDA Operative Note, as sliced in our Composition profile.</summary>
/// <param name="SliceName">Slice name in the profile.</param>
/// <param name="Code">LOINC section code.</param>
/// <param name="Title">Heading the rendered note uses.</param>
/// <param name="Required">Required by C-CDA on FHIR (min 1).</param>
public sealed record OperativeNoteSection(string SliceName, string Code, string Title, bool Required);

/// <summary>The sections of the operative note in the order the rendered note shows them (CLINICAL.md table).</summary>
public static class OperativeNoteSections
{
    public static readonly OperativeNoteSection PreoperativeDiagnosis = new("preoperativeDiagnosis", Known.Loinc.PreoperativeDiagnosis, "Preoperative diagnosis", true);
    public static readonly OperativeNoteSection PostoperativeDiagnosis = new("postoperativeDiagnosis", Known.Loinc.PostoperativeDiagnosis, "Postoperative diagnosis", true);
    public static readonly OperativeNoteSection Indications = new("procedureIndications", Known.Loinc.ProcedureIndications, "Indications", false);
    public static readonly OperativeNoteSection Anesthesia = new("anesthesia", Known.Loinc.Anesthesia, "Anesthesia", true);
    public static readonly OperativeNoteSection Description = new("procedureDescription", Known.Loinc.ProcedureDescription, "Procedure description", true);
    public static readonly OperativeNoteSection Findings = new("procedureFindings", Known.Loinc.ProcedureFindings, "Findings", true);
    public static readonly OperativeNoteSection Complications = new("complications", Known.Loinc.Complications, "Complications", true);
    public static readonly OperativeNoteSection EstimatedBloodLoss = new("estimatedBloodLoss", Known.Loinc.EstimatedBloodLoss, "Estimated blood loss", true);
    public static readonly OperativeNoteSection Specimens = new("specimensTaken", Known.Loinc.SpecimensTaken, "Specimens", true);
    public static readonly OperativeNoteSection Implants = new("procedureImplants", Known.Loinc.ProcedureImplants, "Implants", false);
    public static readonly OperativeNoteSection Drains = new("surgicalDrains", Known.Loinc.SurgicalDrains, "Drains", false);
    public static readonly OperativeNoteSection Disposition = new("procedureDisposition", Known.Loinc.ProcedureDisposition, "Disposition", false);
    public static readonly OperativeNoteSection PlanOfTreatment = new("planOfTreatment", Known.Loinc.PlanOfTreatment, "Plan", false);
    public static readonly OperativeNoteSection PlannedProcedure = new("plannedProcedure", Known.Loinc.PlannedProcedure, "Planned procedure", false);

    public static IReadOnlyList<OperativeNoteSection> All { get; } =
    [
        PreoperativeDiagnosis, PostoperativeDiagnosis, Indications, Anesthesia, Description, Findings, Complications,
        EstimatedBloodLoss, Specimens, Implants, Drains, Disposition, PlanOfTreatment, PlannedProcedure,
    ];
}
