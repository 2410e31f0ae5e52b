using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Evidence;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Templates;
using Rhizotomy.Core.Validation;

namespace Rhizotomy.Cli;

internal static class RenderCommand
{
    public static int Run(string bundlePath, string? outFolder, string? siteTemplates, TextWriter output, TextWriter error)
    {
        if (!File.Exists(bundlePath)) throw new UsageException($"no such file: {bundlePath}");

        if (!TryReadContext(File.ReadAllText(bundlePath), out var bundle, out var problem))
            return Fail(problem!, output);

        var resources = bundle!.Entry.Select(e => e.Resource).OfType<Resource>().ToList();
        var responses = resources.OfType<QuestionnaireResponse>().ToList();
        if (responses.Count != 1)
            return Fail(CliApp.Failure(OperationOutcome.IssueType.Required, $"The bundle must hold exactly one QuestionnaireResponse; it holds {responses.Count}."), output);
        var response = responses[0];

        if (!TryBuildContext(response, resources, out var context, out problem))
            return Fail(problem!, output);

        if (siteTemplates is not null && !Directory.Exists(siteTemplates)) throw new UsageException($"no such folder: {siteTemplates}");
        TemplateCatalog catalog;
        try
        {
            catalog = TemplateCatalog.Load(TemplateCatalog.DefaultFolder, siteTemplates, replaceShipped: false);
        }
        catch (TemplateCatalogException e)
        {
            return Fail(CliApp.Failure(OperationOutcome.IssueType.NotSupported, e.Message), output);
        }
        var read = NoteReader.Read(catalog, response, context!, CaseEvidenceBuilder.Build(resources));
        if (read.Note is null)
        {
            output.WriteLine("The note cannot be signed yet:");
            return Fail(read.Outcome, output);
        }
        if (read.Outcome.Issue.Count > 0)
        {
            error.WriteLine("Checks before signing (warnings):");
            error.WriteLine(CliApp.Pretty(read.Outcome));
        }

        var composed = new NoteComposer().Compose(read.Note, response);
        output.Write(composed.Text);

        var invalid = 0;
        var outcomes = ProfileValidator.Shared.ValidateAll([.. composed.Resources]);
        foreach (var (entry, outcome) in composed.Entries.Zip(outcomes))
        {
            if (ProfileValidator.IsValid(outcome)) continue;
            invalid++;
            error.WriteLine($"{entry.Resource.TypeName} {entry.FullUrl} is not valid against its profile ({CliApp.Counts(outcome)}):");
            error.WriteLine(CliApp.Pretty(outcome));
        }

        if (outFolder is not null)
        {
            Directory.CreateDirectory(outFolder);
            File.WriteAllText(Path.Combine(outFolder, "note.txt"), composed.Text);
            File.WriteAllText(Path.Combine(outFolder, "note.html"), composed.Html);
            File.WriteAllText(Path.Combine(outFolder, "transaction-bundle.json"), CliApp.Pretty(composed.ToTransactionBundle()));
            error.WriteLine($"Wrote note.txt, note.html and transaction-bundle.json to {outFolder}");
        }
        return invalid == 0 ? CliApp.Valid : CliApp.Invalid;
    }

    private static int Fail(OperationOutcome outcome, TextWriter output)
    {
        output.WriteLine(CliApp.Pretty(outcome));
        return CliApp.Invalid;
    }

    private static bool TryReadContext(string json, out Bundle? bundle, out OperationOutcome? problem)
    {
        bundle = null;
        problem = null;
        try
        {
            bundle = new FhirJsonDeserializer(new DeserializerSettings()).DeserializeResource(json) as Bundle;
        }
        catch (Exception e) when (e is DeserializationFailedException or System.Text.Json.JsonException or FormatException or ArgumentException)
        {
            problem = CliApp.Failure(OperationOutcome.IssueType.Structure, "Not valid FHIR R4 JSON: " + e.Message);
            return false;
        }
        if (bundle is null) problem = CliApp.Failure(OperationOutcome.IssueType.Structure, "The file holds a resource that is not a Bundle.");
        return bundle is not null;
    }

    // The launch context the app would have: who (patient), by whom (surgeon), where (encounter),
    // for which organisation (custodian), when signed (the response's authored time).
    private static bool TryBuildContext(QuestionnaireResponse response, List<Resource> resources, out NoteContext? context, out OperationOutcome? problem)
    {
        context = null;
        problem = null;
        var missing = new List<string>();
        var patient = resources.OfType<Patient>().FirstOrDefault();
        var surgeon = resources.OfType<Practitioner>().FirstOrDefault(p => response.Author?.Reference == "Practitioner/" + p.Id)
            ?? resources.OfType<Practitioner>().FirstOrDefault();
        var organization = resources.OfType<Organization>().FirstOrDefault();
        var encounter = resources.OfType<Encounter>().FirstOrDefault();
        if (patient?.Id is null) missing.Add("a Patient with an id");
        if (surgeon?.Id is null) missing.Add("a Practitioner with an id");
        if (organization?.Id is null) missing.Add("an Organization with an id (the custodian)");
        // Keep the offset the response was signed in: the note shows local times as the EHR does.
        DateTimeOffset? authored = response.Authored is { } text && text.Contains('T')
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
        if (authored is null) missing.Add("QuestionnaireResponse.authored with a time");
        if (missing.Count > 0)
        {
            problem = CliApp.Failure(OperationOutcome.IssueType.Required, "The bundle lacks " + string.Join(", ", missing) + ".");
            return false;
        }
        var noteId = response.Identifier is { System: Known.NoteIdentifierSystem, Value: { } value } ? value
            : response.Id ?? "render-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(CliApp.Pretty(response))))[..16].ToLowerInvariant();
        context = new NoteContext(
            noteId,
            new Ref("Patient/" + patient!.Id, Name(patient.Name)),
            encounter?.Id is null ? null : new Ref("Encounter/" + encounter.Id),
            new Ref("Practitioner/" + surgeon!.Id, Name(surgeon.Name)),
            new Ref("Organization/" + organization!.Id, organization.Name),
            authored!.Value);
        return true;
    }

    private static string? Name(List<HumanName> names)
    {
        var name = names.FirstOrDefault(n => n.Use == HumanName.NameUse.Official) ?? names.FirstOrDefault();
        if (name is null) return null;
        if (!string.IsNullOrWhiteSpace(name.Text)) return name.Text;
        var parts = name.Prefix.Concat(name.Given).Append(name.Family).Where(p => !string.IsNullOrWhiteSpace(p));
        var text = string.Join(" ", parts);
        return text.Length == 0 ? null : text;
    }
}
