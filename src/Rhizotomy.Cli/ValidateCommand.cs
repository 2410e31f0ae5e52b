using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Validation;

namespace Rhizotomy.Cli;

internal static class ValidateCommand
{
    public static int Run(IReadOnlyList<string> arguments, TextWriter output, TextWriter error)
    {
        var paths = arguments.ToList();
        string? chart = null;
        var at = paths.IndexOf("--chart");
        if (at >= 0)
        {
            if (at + 1 >= paths.Count) throw new UsageException("--chart needs a Bundle file");
            chart = paths[at + 1];
            paths.RemoveRange(at, 2);
            if (!File.Exists(chart)) throw new UsageException($"no such file: {chart}");
        }
        if (paths.Count == 0) throw new UsageException("no file or folder to validate");
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
                files.AddRange(Directory.EnumerateFiles(path, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            else if (File.Exists(path))
                files.Add(path);
            else
                throw new UsageException($"no such file or folder: {path}");
        }
        if (files.Count == 0) throw new UsageException("no *.json file to validate");

        var invalid = 0;
        foreach (var file in files)
        {
            var outcome = Validate(file);
            var valid = ProfileValidator.IsValid(outcome);
            if (!valid) invalid++;
            output.WriteLine($"{file}: {(valid ? "valid" : "INVALID")} ({CliApp.Counts(outcome)})");
            output.WriteLine(CliApp.Pretty(outcome));
            if (valid && chart is not null && Parse(file) is Questionnaire template)
                TemplateCheck.Prefill(template, chart, output);
        }
        output.WriteLine($"{files.Count} file(s), {invalid} invalid");
        return invalid == 0 ? CliApp.Valid : CliApp.Invalid;
    }

    private static OperationOutcome Validate(string file)
    {
        Resource resource;
        List<OperationOutcome.IssueComponent> parseIssues = [];
        try
        {
            resource = new FhirJsonDeserializer(new DeserializerSettings()).DeserializeResource(File.ReadAllText(file));
        }
        catch (DeserializationFailedException e) when (e.PartialResult is Resource partial)
        {
            // The parser stops at what is not FHIR, but also at what only the validator should
            // judge (a missing required element): report its findings and validate what it read.
            resource = partial;
            parseIssues = [.. e.Exceptions.Select(x => new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Error,
                Code = OperationOutcome.IssueType.Structure,
                Details = new CodeableConcept { Text = x.Message },
            })];
        }
        catch (DeserializationFailedException e)
        {
            return CliApp.Failure(OperationOutcome.IssueType.Structure, "Not valid FHIR R4 JSON: " + e.Message);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or ArgumentException)
        {
            return CliApp.Failure(OperationOutcome.IssueType.Structure, "Not valid FHIR R4 JSON: " + e.Message);
        }
        catch (IOException e)
        {
            return CliApp.Failure(OperationOutcome.IssueType.Exception, "Cannot read the file: " + e.Message);
        }
        var outcome = ProfileValidator.Shared.Validate(resource);
        outcome.Issue.InsertRange(0, parseIssues);
        if (resource is Questionnaire template)
            outcome.Issue.AddRange(TemplateCheck.Issues(template));
        // An outcome with no issue at all reads as "nothing checked"; say that it passed.
        if (outcome.Issue.Count == 0)
            outcome.Issue.Add(new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Information, Code = OperationOutcome.IssueType.Informational, Details = new CodeableConcept { Text = "Valid against " + Profile(resource) } });
        return outcome;
    }

    private static Resource? Parse(string file)
    {
        try
        {
            return new FhirJsonDeserializer(new DeserializerSettings()).DeserializeResource(File.ReadAllText(file));
        }
        catch (Exception e) when (e is DeserializationFailedException or System.Text.Json.JsonException or FormatException or ArgumentException or IOException)
        {
            return null;
        }
    }

    private static string Profile(Resource resource) => resource.Meta?.Profile.FirstOrDefault()
        ?? Core.Profiles.ConformanceResources.ProfileFor(resource.TypeName)
        ?? "the base " + resource.TypeName + " definition";
}
