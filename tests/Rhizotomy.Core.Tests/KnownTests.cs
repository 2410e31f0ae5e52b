using System.Reflection;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Tests;

public class KnownTests
{
    private static CodeSystem Published() => new FhirJsonDeserializer(new DeserializerSettings())
        .Deserialize<CodeSystem>(File.ReadAllText(Path.Combine(RepoPaths.Root(), "profiles", "CodeSystem-rhizotomy.json")));

    [Fact]
    public void Every_project_concept_has_a_unique_code_and_a_definition_in_words()
    {
        Assert.Equal(Known.Concepts.Count, Known.Concepts.Select(c => c.Code).Distinct().Count());
        Assert.All(Known.Concepts, c => Assert.True(c.Definition.Split(' ').Length >= 4, c.Code));
    }

    [Fact]
    public void The_concepts_are_the_published_code_systems_and_every_code_named_in_code_is_there()
    {
        var published = Published();

        Assert.Equal(published.Concept.Select(c => c.Code + "|" + c.Display), Known.Concepts.Select(c => c.Code + "|" + c.Display));
        var named = typeof(Known.Codes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.NotEmpty(named);
        Assert.Empty(named.Except(published.Concept.Select(c => c.Code)));
    }

    [Fact]
    public void A_procedure_concept_is_found_by_its_nerve_and_technique_properties()
    {
        Assert.Equal(Known.Codes.OccipitalNeurectomy, Known.ProcedureFor(Known.Codes.ThirdOccipitalNerve, Known.Codes.Neurectomy)?.Code);
        Assert.Equal(Known.Codes.OccipitalNerveCoagulation, Known.ProcedureFor(Known.Codes.LesserOccipitalNerve, Known.Codes.Coagulation)?.Code);
        Assert.Null(Known.ProcedureFor("supraorbital-nerve", Known.Codes.Neurectomy));
    }
}
