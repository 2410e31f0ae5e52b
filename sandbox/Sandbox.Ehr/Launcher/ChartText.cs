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
}
