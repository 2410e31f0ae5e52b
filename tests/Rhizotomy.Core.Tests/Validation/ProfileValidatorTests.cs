using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Validation;

namespace Rhizotomy.Core.Tests.Validation;

public class ProfileValidatorTests(ValidationFixture fixture) : IClassFixture<ValidationFixture>
{
    public static TheoryData<string> ExampleFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoPaths.Profiles(), "examples"), "*.json").Order())
            data.Add(Path.GetFileName(file));
        return data;
    }

    /// <summary>The published profile each of our resource types must also meet.</summary>
    public static string? PublishedProfileFor(string resourceType) => resourceType switch
    {
        "Procedure" => Known.Profiles.UsCoreProcedure,
        "Composition" => Known.Profiles.CcdaOperativeNote,
        "DocumentReference" => Known.Profiles.UsCoreDocumentReference,
        "Provenance" => Known.Profiles.UsCoreProvenance,
        "QuestionnaireResponse" => Known.Profiles.UsCoreQuestionnaireResponse,
        _ => null,
    };

    private static Resource LoadExample(string file) =>
        new FhirJsonDeserializer(new DeserializerSettings()).DeserializeResource(File.ReadAllText(Path.Combine(RepoPaths.Profiles(), "examples", file)));

    [Theory]
    [MemberData(nameof(ExampleFiles))]
    public void Every_example_meets_our_profile_and_the_published_one(string file)
    {
        var resource = LoadExample(file);

        var ours = fixture.Ours.Validate(resource);
        Assert.True(ProfileValidator.IsValid(ours), ValidationFixture.Errors(ours));

        if (PublishedProfileFor(resource.TypeName) is { } published)
        {
            var outcome = fixture.Published.Validate(resource, published);
            Assert.True(ProfileValidator.IsValid(outcome), ValidationFixture.Errors(outcome));
        }
    }

    [Fact]
    public void Examples_cover_every_profile()
    {
        var types = Directory.EnumerateFiles(Path.Combine(RepoPaths.Profiles(), "examples"), "*.json").Select(f => Path.GetFileName(f).Split('-')[0]).ToHashSet();
        Assert.Superset(types, new HashSet<string> { "Procedure", "Composition", "DocumentReference", "Provenance", "QuestionnaireResponse", "Bundle" });
    }

    private static ComposedNote Neurectomy() => new NoteComposer().Compose(SampleNotes.Neurectomy(), SampleNotes.Response(SampleNotes.Neurectomy()));

    private void AssertInvalid(Resource resource, string expectedInMessage)
    {
        var outcome = fixture.Ours.Validate(resource);
        Assert.False(ProfileValidator.IsValid(outcome), "expected errors, got none");
        Assert.Contains(expectedInMessage, ValidationFixture.Errors(outcome), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_procedure_without_a_complication_statement_is_invalid()
    {
        var procedure = Neurectomy().Procedures[0];
        procedure.Complication.Clear();
        AssertInvalid(procedure, "complication");
    }

    [Fact]
    public void A_procedure_on_both_sides_at_once_is_invalid()
    {
        var procedure = Neurectomy().Procedures[0];
        procedure.BodySite[1] = new CodeableConcept(Known.Systems.Snomed, Known.Snomed.LeftAndRight, "Right and left", null);
        AssertInvalid(procedure, "bodySite");
    }

    [Fact]
    public void A_procedure_without_a_reason_is_invalid()
    {
        var procedure = Neurectomy().Procedures[0];
        procedure.ReasonReference.Clear();
        procedure.ReasonCode.Clear();
        AssertInvalid(procedure, "rhz-proc-1");
    }

    [Fact]
    public void A_procedure_with_a_site_cpt_coding_beside_the_project_code_is_valid()
    {
        var options = new NoteComposerOptions(new CodingTable(Known.Systems.Cpt,
            [new CodingRow(Known.Codes.GreaterOccipitalNerve, Known.Codes.Neurectomy, null, "64744", null, "LT", "RT", "50")]));
        var procedure = new NoteComposer(options).Compose(SampleNotes.Neurectomy()).Procedures[0];

        Assert.Contains(procedure.Code!.Coding, c => c.System == Known.Systems.Cpt && c.Code == "64744");
        var outcome = fixture.Ours.Validate(procedure);
        Assert.True(ProfileValidator.IsValid(outcome), ValidationFixture.Errors(outcome));
    }

    [Fact]
    public void A_composition_without_the_complications_section_is_invalid()
    {
        var composition = Neurectomy().Composition;
        composition.Section.RemoveAll(s => s.Code!.Coding[0].Code == Known.Loinc.Complications);
        AssertInvalid(composition, "complications");
    }

    [Fact]
    public void A_composition_without_a_legal_attester_is_invalid()
    {
        var composition = Neurectomy().Composition;
        composition.Attester.Clear();
        AssertInvalid(composition, "attester");
    }

    [Fact]
    public void A_document_reference_without_a_plain_text_rendering_is_invalid()
    {
        var documentReference = Neurectomy().DocumentReference;
        documentReference.Content.RemoveAll(c => c.Attachment!.ContentType!.StartsWith("text/plain", StringComparison.Ordinal));
        AssertInvalid(documentReference, "content");
    }

    [Fact]
    public void A_document_reference_without_the_end_of_the_operation_is_invalid()
    {
        var documentReference = Neurectomy().DocumentReference;
        documentReference.Context!.Period!.End = null;
        AssertInvalid(documentReference, "end");
    }

    [Fact]
    public void Operation_times_without_a_time_of_day_are_invalid()
    {
        var composed = Neurectomy();
        composed.Procedures[0].Performed = new Period(new FhirDateTime("2026-03-04"), new FhirDateTime("2026-03-04T09:40:00-05:00"));
        composed.DocumentReference.Context!.Period = new Period(new FhirDateTime("2026-03-04T08:15:00-05:00"), new FhirDateTime("2026-03-04"));

        AssertInvalid(composed.Procedures[0], "rhz-time-1");
        AssertInvalid(composed.DocumentReference, "rhz-time-1");
    }

    [Fact]
    public void A_provenance_whose_author_acts_for_no_organisation_is_invalid()
    {
        var provenance = Neurectomy().Provenance;
        provenance.Agent[0].OnBehalfOf = null;
        AssertInvalid(provenance, "onBehalfOf");
    }

    [Fact]
    public void Validating_from_several_threads_gives_the_same_outcomes_as_one_thread()
    {
        var resources = new NoteComposer().Compose(SampleNotes.BilateralCoagulation(), SampleNotes.Response(SampleNotes.BilateralCoagulation())).Resources.ToList();
        var broken = (Procedure)resources.OfType<Procedure>().First().DeepCopy();
        broken.Complication.Clear();
        resources.Add(broken);
        var serializer = new FhirJsonSerializer();
        var expected = resources.Select(r => serializer.SerializeToString(fixture.Ours.Validate(r))).ToList();

        var actual = new string[resources.Count * 4];
        Parallel.For(0, actual.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            i => actual[i] = serializer.SerializeToString(fixture.Ours.Validate(resources[i % resources.Count])));

        for (var i = 0; i < actual.Length; i++) Assert.Equal(expected[i % resources.Count], actual[i]);
    }

    [Fact]
    public void Without_a_profile_the_validator_uses_ours_for_the_resource_type()
    {
        var procedure = Neurectomy().Procedures[0];
        procedure.Meta = null;
        procedure.Complication.Clear();

        Assert.False(ProfileValidator.IsValid(fixture.Ours.Validate(procedure)));
        Assert.True(ProfileValidator.IsValid(fixture.Ours.Validate(procedure, "http://hl7.org/fhir/StructureDefinition/Procedure")));
    }
}
