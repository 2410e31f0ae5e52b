using Rhizotomy.Tests.Shared;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Cli;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;
using Rhizotomy.Core.Tests.TestData;

namespace Rhizotomy.Core.Tests.Cli;

public sealed class CliTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "rhizotomy-cli-tests-" + Guid.NewGuid().ToString("N"));

    public CliTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private string Write(string name, Resource resource)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, new FhirJsonSerializer().SerializeToString(resource, pretty: true));
        return path;
    }

    [Fact]
    public void Validate_of_the_examples_folder_exits_0_with_an_outcome_per_file()
    {
        var examples = Path.Combine(RepoPaths.Profiles(), "examples");
        var count = Directory.GetFiles(examples, "*.json").Length;

        var (code, output, _) = Run("validate", examples);

        Assert.Equal(CliApp.Valid, code);
        Assert.Equal(count, output.Split('\n').Count(l => l.Contains(": valid (", StringComparison.Ordinal)));
        Assert.Contains($"{count} file(s), 0 invalid", output);
        Assert.Contains("\"resourceType\": \"OperationOutcome\"", output);
    }

    [Fact]
    public void Validate_of_a_procedure_without_complication_statement_exits_1_and_names_it()
    {
        var procedure = (Procedure)new Core.Notes.NoteComposer().Compose(Core.Notes.SampleNotes.Neurectomy()).Procedures[0].DeepCopy();
        procedure.Complication.Clear();
        var file = Write("procedure.json", procedure);

        var (code, output, _) = Run("validate", file);

        Assert.Equal(CliApp.Invalid, code);
        Assert.Contains("procedure.json: INVALID", output);
        Assert.Contains("complication", output);
    }

    [Fact]
    public void Validate_of_a_transaction_bundle_checks_each_entry_against_its_profile()
    {
        var bundle = new Core.Notes.NoteComposer().Compose(Core.Notes.SampleNotes.Neurectomy()).ToTransactionBundle();
        ((Procedure)bundle.Entry.First(e => e.Resource is Procedure).Resource!).Complication.Clear();

        var (code, output, _) = Run("validate", Write("bundle.json", bundle));

        Assert.Equal(CliApp.Invalid, code);
        Assert.Contains("complication", output);
    }

    [Fact]
    public void Validate_of_a_file_that_is_not_fhir_json_exits_1_with_an_operation_outcome()
    {
        var file = Path.Combine(_folder, "broken.json");
        File.WriteAllText(file, "{ this is not json");

        var (code, output, _) = Run("validate", file);

        Assert.Equal(CliApp.Invalid, code);
        Assert.Contains("Not valid FHIR R4 JSON", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Theory]
    [InlineData]
    [InlineData("validate")]
    [InlineData("frobnicate", "x")]
    [InlineData("render")]
    public void Wrong_arguments_exit_2_with_the_usage(params string[] args)
    {
        var (code, _, error) = Run(args);

        Assert.Equal(CliApp.Usage, code);
        Assert.Contains("usage:", error);
    }

    [Fact]
    public void A_path_that_does_not_exist_is_a_usage_error()
    {
        var (code, _, error) = Run("validate", Path.Combine(_folder, "nothing-here"));

        Assert.Equal(CliApp.Usage, code);
        Assert.Contains("no such file or folder", error);
    }

    private static Bundle ContextBundle(QuestionnaireResponse response) => new()
    {
        Type = Bundle.BundleType.Collection,
        Entry =
        [
            .. new Resource[] { response }.Concat(FhirFixtures.Chart("cli-context")).Select(r => new Bundle.EntryComponent { FullUrl = $"http://ehr.example/fhir/{r.TypeName}/{r.Id ?? "qr"}", Resource = r }),
        ],
    };

    [Fact]
    public void Validate_of_a_template_with_an_example_chart_checks_it_and_prints_the_prefilled_response()
    {
        var template = Write("Questionnaire-site.json", SiteTemplates.Build());
        var chart = ContextBundle(new QuestionnaireResponse());
        chart.Entry.RemoveAll(e => e.Resource is QuestionnaireResponse);
        // Only a confirmed diagnosis is prefilled.
        chart.Entry.Select(e => e.Resource).OfType<Condition>().Single().VerificationStatus = new CodeableConcept(Known.Systems.ConditionVerification, "confirmed");

        var (code, output, _) = Run("validate", template, "--chart", Write("chart.json", chart));

        Assert.Equal(CliApp.Valid, code);
        Assert.Contains("Template: usable for an operative note", output);
        Assert.Contains("Prefilled from", output);
        Assert.Contains("\"code\": \"M54.81\"", output);
        Assert.Contains("\"valueString\": \"prone\"", output);
        Assert.Contains("Condition/classic-left-on", output);
    }

    [Fact]
    public void Validate_of_a_template_that_lost_an_essential_item_exits_1_and_says_which_rule()
    {
        var site = SiteTemplates.Build();
        TemplateCatalog.Flatten(site.Item).Single(i => i.LinkId == LinkIds.ConsentObtained).LinkId = "consent-given";

        var (code, output, _) = Run("validate", Write("Questionnaire-broken.json", site));

        Assert.Equal(CliApp.Invalid, code);
        Assert.Contains("rule 'consent-not-obtained' points at linkId 'consent-obtained', which is not an item of this template", output);
    }

    [Fact]
    public void Render_of_a_completed_context_bundle_prints_the_note_and_writes_valid_resources()
    {
        var response = Responses.CompletedLeftNeurectomy(Cases.ClassicLeft());
        response.Identifier = new Identifier(Known.NoteIdentifierSystem, "cli-note-1");
        // Render signs at the response's authored time, which must be after the operation ended (rule signed-before-end).
        response.AuthoredElement = new FhirDateTime(Cases.Context().SignedAt);
        var bundle = Write("context.json", ContextBundle(response));
        var outFolder = Path.Combine(_folder, "out");

        var (code, output, error) = Run("render", bundle, "--out", outFolder);

        Assert.True(code == CliApp.Valid, output + error);
        Assert.StartsWith("LEFT GREATER OCCIPITAL NEURECTOMY\n", output, StringComparison.Ordinal);
        Assert.Contains("Patient: Synthetic Classic", output);
        Assert.Equal(output, File.ReadAllText(Path.Combine(outFolder, "note.txt")));
        Assert.Contains("<h1>", File.ReadAllText(Path.Combine(outFolder, "note.html")));
        var transaction = new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<Bundle>(File.ReadAllText(Path.Combine(outFolder, "transaction-bundle.json")));
        Assert.Equal(Bundle.BundleType.Transaction, transaction.Type);
        Assert.Contains(transaction.Entry, e => e.Request?.IfNoneExist == $"identifier={Known.NoteIdentifierSystem}|cli-note-1");

        Assert.Equal(CliApp.Valid, Run("validate", Path.Combine(outFolder, "transaction-bundle.json")).Code);
    }

    [Fact]
    public void Render_of_an_incomplete_response_exits_1_and_says_what_is_missing()
    {
        var response = Responses.CompletedLeftNeurectomy(Cases.ClassicLeft());
        NoteAnswers.Remove(response, LinkIds.EstimatedBloodLoss);
        var bundle = Write("context.json", ContextBundle(response));

        var (code, output, _) = Run("render", bundle);

        Assert.Equal(CliApp.Invalid, code);
        Assert.Contains("cannot be signed yet", output);
        Assert.Contains("\"severity\": \"error\"", output);
        Assert.DoesNotContain("LEFT GREATER OCCIPITAL NEURECTOMY", output);
    }

    [Fact]
    public void Render_of_a_bundle_without_a_patient_exits_1_and_says_so()
    {
        var response = Responses.CompletedLeftNeurectomy(Cases.ClassicLeft());
        var context = ContextBundle(response);
        context.Entry.RemoveAll(e => e.Resource is Patient);

        var (code, output, _) = Run("render", Write("context.json", context));

        Assert.Equal(CliApp.Invalid, code);
        Assert.Contains("a Patient with an id", output);
    }
}
