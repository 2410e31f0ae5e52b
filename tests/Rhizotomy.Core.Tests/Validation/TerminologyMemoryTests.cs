using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Validation;

namespace Rhizotomy.Core.Tests.Validation;

/// <summary>
/// The validator remembers terminology answers and validates a note's resources side by side;
/// neither may change a single outcome.
/// </summary>
public class TerminologyMemoryTests(ValidationFixture fixture) : IClassFixture<ValidationFixture>
{
    private static readonly FhirJsonSerializer Serializer = new();

    private static ICodeValidationTerminologyService LocalTerminology()
    {
        var core = new CachedResolver(CoreSpecification.Open());
        var ours = new InMemoryResourceResolver(ProfileValidator.Shared.ConformanceResources.Select(r => (Resource)r.DeepCopy()));
        var resolver = new CachedResolver(new MultiResolver(ours, core));
        return LocalTerminologyService.CreateDefaultForCore(resolver, new ValueSetExpanderSettings { ValueSetSource = resolver });
    }

    private static Parameters Question(string valueSet, DataType value, string name)
    {
        if (value is Code code)
        {
            // A bare code, as the validator asks for a 'code' element: the system is inferred from the value set.
            var bare = new Parameters();
            bare.Add("url", new FhirUri(valueSet));
            bare.Add("code", new Code(code.Value));
            bare.Add("inferSystem", new FhirBoolean(true));
            bare.Add("abstract", new FhirBoolean(true));
            return bare;
        }
        var question = new ValidateCodeParameters().WithValueSet(valueSet).WithAbstract(true);
        question = value switch
        {
            CodeableConcept concept => question.WithCodeableConcept(concept),
            Coding coding => question.WithCoding(coding),
            _ => throw new ArgumentException("Unknown kind of question " + name, nameof(value)),
        };
        return question;
    }

    public static TheoryData<string> Questions() => ["nerve-ok", "nerve-wrong-group", "side-both", "status-ok", "status-bad", "coding-unknown-system"];

    private static Parameters QuestionNamed(string name) => name switch
    {
        "nerve-ok" => Question(Known.ValueSetFor("nerve"), new CodeableConcept(Known.ProjectCodeSystem, Known.Codes.GreaterOccipitalNerve), name),
        "nerve-wrong-group" => Question(Known.ValueSetFor("nerve"), new CodeableConcept(Known.ProjectCodeSystem, Known.Codes.NoComplications), name),
        "side-both" => Question(Known.LateralityValueSet, new CodeableConcept(Known.Systems.Snomed, Known.Snomed.LeftAndRight), name),
        "status-ok" => Question("http://hl7.org/fhir/ValueSet/narrative-status|4.0.1", new Code("generated"), name),
        "status-bad" => Question("http://hl7.org/fhir/ValueSet/narrative-status|4.0.1", new Code("made-up"), name),
        "coding-unknown-system" => Question(Known.ValueSetFor("procedure"), new Coding("http://example.org/unknown", "x"), name),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Questions))]
    public async System.Threading.Tasks.Task A_remembered_answer_is_the_terminology_services_own_answer(string name)
    {
        var inner = LocalTerminology();
        var memory = new MemoizingTerminologyService(LocalTerminology());

        var expected = Serializer.SerializeToString(await inner.ValueSetValidateCode(QuestionNamed(name)));
        var first = Serializer.SerializeToString(await memory.ValueSetValidateCode(QuestionNamed(name)));
        var second = Serializer.SerializeToString(await memory.ValueSetValidateCode(QuestionNamed(name)));

        Assert.Equal(expected, first);
        Assert.Equal(expected, second);
        Assert.Equal(1, memory.Hits);
    }

    [Fact]
    public void Questions_that_differ_in_any_part_have_different_keys()
    {
        var keys = new[]
        {
            MemoizingTerminologyService.KeyOf(QuestionNamed("nerve-ok"), null),
            MemoizingTerminologyService.KeyOf(QuestionNamed("nerve-wrong-group"), null),
            MemoizingTerminologyService.KeyOf(Question(Known.ValueSetFor("nerve"), new CodeableConcept(Known.ProjectCodeSystem, Known.Codes.GreaterOccipitalNerve, "Other display"), "display"), null),
            MemoizingTerminologyService.KeyOf(Question(Known.ValueSetFor("complication"), new CodeableConcept(Known.ProjectCodeSystem, Known.Codes.GreaterOccipitalNerve), "vs"), null),
            MemoizingTerminologyService.KeyOf(Question(Known.ValueSetFor("nerve"), new Coding(Known.ProjectCodeSystem, Known.Codes.GreaterOccipitalNerve), "coding"), null),
            MemoizingTerminologyService.KeyOf(QuestionNamed("nerve-ok"), "an-id"),
        };

        Assert.All(keys, Assert.NotNull);
        Assert.Equal(keys.Length, keys.Distinct().Count());
    }

    [Fact]
    public async System.Threading.Tasks.Task A_question_with_extensions_is_answered_but_not_remembered()
    {
        var coding = new Coding(Known.ProjectCodeSystem, Known.Codes.GreaterOccipitalNerve);
        coding.AddExtension("http://example.org/odd", new FhirString("x"));
        var question = Question(Known.ValueSetFor("nerve"), new CodeableConcept { Coding = [coding] }, "ext");
        var memory = new MemoizingTerminologyService(LocalTerminology());

        Assert.Null(MemoizingTerminologyService.KeyOf(question, null));
        var first = await memory.ValueSetValidateCode(question);
        var second = await memory.ValueSetValidateCode(question);

        Assert.Equal(Serializer.SerializeToString(first), Serializer.SerializeToString(second));
        Assert.Equal(0, memory.Hits);
    }

    [Fact]
    public void A_wrong_code_is_still_rejected_after_the_right_one_was_remembered()
    {
        var composed = new NoteComposer().Compose(SampleNotes.Neurectomy(), SampleNotes.Response(SampleNotes.Neurectomy()));
        var good = composed.Procedures[0];
        Assert.True(ProfileValidator.IsValid(fixture.Ours.Validate(good)));
        Assert.True(ProfileValidator.IsValid(fixture.Ours.Validate(good)));

        var wrong = (Procedure)good.DeepCopy();
        wrong.BodySite[0] = new CodeableConcept(Known.ProjectCodeSystem, Known.Codes.NoComplications);
        var firstTime = fixture.Ours.Validate(wrong);
        var secondTime = fixture.Ours.Validate(wrong);

        Assert.False(ProfileValidator.IsValid(firstTime));
        Assert.Equal(Serializer.SerializeToString(firstTime), Serializer.SerializeToString(secondTime));
        Assert.True(fixture.Ours.Terminology.Hits > 0, "the validator should answer repeated questions from memory");
    }

    [Fact]
    public void Validating_a_whole_note_at_once_gives_the_outcomes_of_validating_each_in_turn()
    {
        var resources = new NoteComposer().Compose(SampleNotes.BilateralCoagulation(), SampleNotes.Response(SampleNotes.BilateralCoagulation())).Resources.ToList();
        var broken = (Composition)resources.OfType<Composition>().Single().DeepCopy();
        broken.Section.RemoveAll(s => s.Code!.Coding[0].Code == Known.Loinc.Complications);
        resources.Insert(1, broken);

        var inTurn = resources.Select(r => Serializer.SerializeToString(fixture.Ours.Validate(r))).ToList();
        var atOnce = fixture.Ours.ValidateAll(resources).Select(o => Serializer.SerializeToString(o)).ToList();

        Assert.Equal(inTurn, atOnce);
        Assert.False(ProfileValidator.IsValid(fixture.Ours.ValidateAll(resources)[1]));
    }
}
