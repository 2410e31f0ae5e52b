using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
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
        Observation observation => Join(Text(observation.Code), Value(observation.Value), Date(observation.Effective)),
        DiagnosticReport report => Join(Text(report.Code), report.Conclusion, Date(report.Effective)),
        DocumentReference document => Join(document.Type?.Text ?? document.Type?.Coding.FirstOrDefault()?.Display, document.Description, document.Status?.ToString()),
        Composition composition => Join(composition.Title, composition.Status?.ToString(), composition.Date,
            composition.Author.FirstOrDefault() is { } author ? "author " + (author.Display ?? author.Reference) : null),
        QuestionnaireResponse response => Join("Filled template " + response.Questionnaire, response.Status?.ToString(), response.Authored),
        Provenance provenance => Join("Provenance", provenance.Recorded?.ToString(CultureInfo.InvariantCulture),
            string.Join("; ", provenance.Agent.Select(agent => agent.Who?.Display ?? agent.Who?.Reference).Where(who => who is not null)),
            "targets: " + string.Join(", ", provenance.Target.Select(target => target.Reference))),
        _ => resource.TypeName,
    };

    /// <summary>
    /// The readable content a written resource carries, as plain text: a DocumentReference's text/plain
    /// attachments, a Composition's sections (title and narrative text). Null when there is none.
    /// </summary>
    public static string? Content(Resource resource)
    {
        var text = resource switch
        {
            DocumentReference document => string.Join("\n\n", document.Content
                .Select(content => content.Attachment)
                .Where(attachment => attachment?.ContentType?.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase) == true)
                .Select(attachment => attachment.Data is { } data ? Encoding.UTF8.GetString(data) : null)
                .OfType<string>()),
            Composition composition => string.Join("\n", composition.Section
                .Select(section => Join(section.Title, NarrativeText(section.Text)))),
            _ => null,
        };
        return string.IsNullOrWhiteSpace(text) ? null : text;
    }

    /// <summary>The words of a narrative (its XHTML reduced to text: nothing of its markup reaches the page).</summary>
    private static string? NarrativeText(Narrative? narrative)
    {
        if (string.IsNullOrWhiteSpace(narrative?.Div))
        {
            return null;
        }

        try
        {
            // Text node by text node, so "left</li><li>Occipital" stays two words.
            var words = XElement.Parse(narrative.Div).DescendantNodes().OfType<XText>()
                .SelectMany(text => text.Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            return string.Join(' ', words);
        }
        catch (XmlException)
        {
            return "(narrative not readable)";
        }
    }

    private static string? Value(DataType? value) => value switch
    {
        null => null,
        Quantity quantity => Join(quantity.Value?.ToString(CultureInfo.InvariantCulture), quantity.Unit ?? quantity.Code),
        CodeableConcept concept => Text(concept),
        PrimitiveType primitive => primitive.ToString(),
        _ => value.TypeName,
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
