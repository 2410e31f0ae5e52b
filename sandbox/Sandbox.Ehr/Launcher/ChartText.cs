using Hl7.Fhir.Model;

namespace Sandbox.Ehr.Launcher;

/// <summary>Plain-text labels of chart resources for the sandbox's pages (callers HTML-encode them).</summary>
public static class ChartText
{
    public static string Label(Resource resource) => resource switch
    {
        Patient patient => $"{Name(patient.Name)} ({patient.Id})",
        Practitioner practitioner => $"{Name(practitioner.Name)} ({practitioner.Id})",
        Encounter encounter => $"{encounter.Type.FirstOrDefault()?.Text ?? "Encounter"} {encounter.Period?.Start} ({encounter.Id}, {encounter.Status})",
        _ => $"{resource.TypeName}/{resource.Id}",
    };

    public static string Name(IEnumerable<HumanName> names)
    {
        var name = names.FirstOrDefault();
        if (name is null)
        {
            return "(no name)";
        }

        return name.Text ?? string.Join(' ', name.Given.Append(name.Family).Where(part => !string.IsNullOrWhiteSpace(part)));
    }

    /// <summary>One line about a chart entry: its code text or display, status and date.</summary>
    public static string Summary(Resource resource) => resource switch
    {
        Condition condition => Join(Text(condition.Code), condition.ClinicalStatus?.Coding.FirstOrDefault()?.Code,
            condition.VerificationStatus?.Coding.FirstOrDefault()?.Code, Date(condition.Onset) ?? condition.RecordedDate),
        Procedure procedure => Join(Text(procedure.Code), procedure.Status?.ToString(), Date(procedure.Performed),
            string.Join("; ", procedure.BodySite.Select(Text)), procedure.Outcome?.Text),
        Encounter encounter => Label(encounter),
        MedicationStatement statement => Join(Text(statement.Medication as CodeableConcept), statement.Status?.ToString(), statement.Note.FirstOrDefault()?.Text),
        MedicationRequest request => Join(Text(request.Medication as CodeableConcept), request.Status?.ToString(), request.Note.FirstOrDefault()?.Text),
        Observation observation => Join(Text(observation.Code), observation.Value?.ToString(), Date(observation.Effective)),
        DiagnosticReport report => Join(Text(report.Code), report.Conclusion, Date(report.Effective)),
        DocumentReference document => Join(document.Type?.Text ?? document.Type?.Coding.FirstOrDefault()?.Display, document.Description, document.Status?.ToString()),
        Composition composition => Join(composition.Title, composition.Status?.ToString(), composition.Date),
        _ => resource.TypeName,
    };

    private static string? Text(CodeableConcept? concept) =>
        concept is null ? null : concept.Text ?? concept.Coding.FirstOrDefault()?.Display ?? concept.Coding.FirstOrDefault()?.Code;

    private static string? Date(DataType? value) => value switch
    {
        FhirDateTime dateTime => dateTime.Value,
        Period period => period.Start,
        Age age => age.Value?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        FhirString text => text.Value,
        _ => null,
    };

    private static string Join(params string?[] parts) => string.Join(" · ", parts.Where(part => !string.IsNullOrWhiteSpace(part)));
}
