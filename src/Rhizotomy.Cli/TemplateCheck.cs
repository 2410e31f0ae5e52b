using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Evidence;
using Rhizotomy.Core.Prefill;
using Rhizotomy.Core.Templates;

namespace Rhizotomy.Cli;

/// <summary>
/// <c>rhizotomy validate</c> on a template (Questionnaire): what the app would refuse it for (SDC structure,
/// expressions that do not compile, rules that point at missing items or are missing, note sections), and
/// with <c>--chart</c> the response prefill makes from an example chart.
/// </summary>
internal static class TemplateCheck
{
    public static IEnumerable<OperationOutcome.IssueComponent> Issues(Questionnaire template)
    {
        var problems = TemplateCatalog.Problems(template);
        foreach (var problem in problems)
            yield return Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.BusinessRule, "Template: " + problem);
        if (problems.Count == 0)
            yield return Issue(OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational,
                "Template: usable for an operative note (structure, expressions, rules and note sections checked).");
    }

    /// <summary>Prefills <paramref name="template"/> from the Bundle at <paramref name="chartPath"/> and prints the response.</summary>
    public static void Prefill(Questionnaire template, string chartPath, TextWriter output)
    {
        Bundle bundle;
        try
        {
            bundle = new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<Bundle>(File.ReadAllText(chartPath));
        }
        catch (Exception e) when (e is DeserializationFailedException or System.Text.Json.JsonException or FormatException or ArgumentException)
        {
            throw new UsageException($"{chartPath} is not a FHIR R4 Bundle in JSON");
        }
        var resources = bundle.Entry.Select(e => e.Resource).OfType<Resource>().ToList();
        var patient = resources.OfType<Patient>().FirstOrDefault() ?? throw new UsageException($"{chartPath} holds no Patient");
        var user = resources.OfType<Practitioner>().FirstOrDefault();
        var encounter = resources.OfType<Encounter>().FirstOrDefault();
        var launch = new LaunchContext(
            new Ref("Patient/" + patient.Id),
            encounter is null ? null : new Ref("Encounter/" + encounter.Id),
            new Ref(user is null ? "Practitioner/example" : "Practitioner/" + user.Id),
            DateTimeOffset.UtcNow);
        var (response, problems) = Populator.Run(template, launch, CaseEvidenceBuilder.Build(resources), resources);
        output.WriteLine($"Prefilled from {chartPath}:");
        foreach (var problem in problems)
            output.WriteLine("  prefill: " + problem);
        output.WriteLine(CliApp.Pretty(response));
    }

    private static OperationOutcome.IssueComponent Issue(OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType type, string text) =>
        new() { Severity = severity, Code = type, Details = new CodeableConcept { Text = text } };
}
