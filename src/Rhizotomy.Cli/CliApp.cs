using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Rhizotomy.Cli;

/// <summary>
/// <c>rhizotomy validate</c> and <c>rhizotomy render</c>: the profiles and the composer, for
/// integration teams, without an EHR. Exit codes: 0 valid / done, 1 invalid, 2 usage.
/// </summary>
public static class CliApp
{
    public const int Valid = 0;
    public const int Invalid = 1;
    public const int Usage = 2;

    private const string UsageText =
        """
        usage:
          rhizotomy validate <file-or-folder>...
              Validates FHIR JSON (each *.json of a folder, recursively) against the project profiles
              (the resource's meta.profile, else our profile for its type) and prints each OperationOutcome.
              Exit 0 when every resource is valid, 1 when any is not, 2 on a usage error.
              A Questionnaire is also checked as an operative-note template: what the app would refuse it for
              (expressions that do not compile, rules missing or pointing at missing items, note sections).
          rhizotomy validate <template.json> --chart <chart-bundle.json>
              As above, then prefills the template from the Bundle's Patient, Practitioner, Encounter and chart
              resources and prints the prefilled QuestionnaireResponse.
          rhizotomy render <context-bundle.json> [--out <folder>]
              Reads a Bundle holding the completed QuestionnaireResponse and the Patient, Practitioner,
              Encounter and Organization (plus any chart resources: Conditions, blocks, imaging), checks
              it, composes the note and prints its text. With --out, also writes note.txt, note.html and
              transaction-bundle.json there. Exit 0 when the note was composed and is valid, 1 when not.
              --templates <folder> reads the site's templates beside the shipped ones.
          rhizotomy ehr-check --issuer <FHIR base> [--settings <appsettings.json>] [--client-id <id>] [--json] [--write-test <patient id>]
              The readiness of one EHR for the app, with the app's own settings (App:Ehrs of the settings file or
              the environment) and code: SMART discovery, PKCE S256, scopes, Backend Services, FHIR version, reads
              and writes per resource, transaction, encounter rule, the write strategy and why. --write-test writes
              a test document for that patient with the chosen strategy, reads it back and deletes it where the EHR
              allows (token: the registration's Backend Services credentials, else RHIZOTOMY_EHR_TOKEN).
              Exit 0 when the app can work with the EHR, 1 when not (with the reason).
        """;

    internal static readonly FhirJsonSerializer Serializer = new();

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        try
        {
            return args switch
            {
                ["validate", .. var paths] when paths.Length > 0 => ValidateCommand.Run(paths, output, error),
                ["render", var bundle] => RenderCommand.Run(bundle, null, null, output, error),
                ["render", var bundle, "--out", var folder] => RenderCommand.Run(bundle, folder, null, output, error),
                ["render", var bundle, "--templates", var site] => RenderCommand.Run(bundle, null, site, output, error),
                ["render", var bundle, "--templates", var site, "--out", var folder] => RenderCommand.Run(bundle, folder, site, output, error),
                ["render", var bundle, "--out", var folder, "--templates", var site] => RenderCommand.Run(bundle, folder, site, output, error),
                ["ehr-check", .. var options] => EhrCheckCommand.Run(options, output, error),
                _ => UsageError(error, args.Length == 0 ? null : "unknown command or arguments"),
            };
        }
        catch (UsageException e)
        {
            return UsageError(error, e.Message);
        }
    }

    private static int UsageError(TextWriter error, string? problem)
    {
        if (problem is not null) error.WriteLine("rhizotomy: " + problem);
        error.WriteLine(UsageText);
        return Usage;
    }

    internal static string Pretty(Resource resource) => Serializer.SerializeToString(resource, pretty: true);

    internal static OperationOutcome Failure(OperationOutcome.IssueType type, string message) => new()
    {
        Issue = [new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Error, Code = type, Details = new CodeableConcept { Text = message } }],
    };

    internal static string Counts(OperationOutcome outcome)
    {
        var errors = outcome.Issue.Count(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);
        var warnings = outcome.Issue.Count(i => i.Severity == OperationOutcome.IssueSeverity.Warning);
        return $"{errors} error(s), {warnings} warning(s)";
    }
}

/// <summary>Bad command line: exit 2 with the usage text.</summary>
internal sealed class UsageException(string message) : Exception(message);
