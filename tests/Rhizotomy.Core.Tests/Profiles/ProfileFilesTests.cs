using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Profiles;
using Rhizotomy.Core.Tests.Validation;

namespace Rhizotomy.Core.Tests.Profiles;

public class ProfileFilesTests(ValidationFixture fixture) : IClassFixture<ValidationFixture>
{
    [Fact]
    public void Committed_profiles_are_what_the_generator_makes()
    {
        var root = RepoPaths.Profiles();
        var generated = ProfilePackage.Files(fixture.Ours.ConformanceResources);
        var committed = Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("questionnaires/", StringComparison.Ordinal) && !f.StartsWith("valuesets/", StringComparison.Ordinal) && !f.StartsWith("answers/", StringComparison.Ordinal) && !f.StartsWith("coding/", StringComparison.Ordinal))
            .ToHashSet();

        if (Environment.GetEnvironmentVariable("UPDATE_PROFILES") == "1")
        {
            foreach (var stale in committed.Except(generated.Keys)) File.Delete(Path.Combine(root, stale));
            foreach (var (path, json) in generated)
            {
                var file = Path.Combine(root, path);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                File.WriteAllText(file, json);
            }
            return;
        }

        Assert.Empty(committed.Except(generated.Keys));
        foreach (var (path, json) in generated)
        {
            var file = Path.Combine(root, path);
            Assert.True(File.Exists(file), $"profiles/{path} is not committed; run the tests with UPDATE_PROFILES=1.");
            Assert.True(json == File.ReadAllText(file), $"profiles/{path} differs from the generator; run the tests with UPDATE_PROFILES=1 and review the diff.");
        }
    }

    [Fact]
    public void Every_project_concept_is_defined_and_marked_for_terminology_review()
    {
        var codeSystem = ConformanceResources.ProjectCodeSystem();

        Assert.Equal(Known.Concepts.Select(c => c.Code), codeSystem.Concept.Select(c => c.Code));
        Assert.All(codeSystem.Concept, concept =>
        {
            Assert.False(string.IsNullOrWhiteSpace(concept.Definition));
            var review = Assert.Single(concept.Property, p => p.Code == ConformanceResources.ReviewStatusProperty);
            Assert.Equal(ConformanceResources.PendingTerminologyReview, ((Code)review.Value).Value);
        });
    }

    [Fact]
    public void Each_concept_group_has_a_value_set_with_exactly_its_concepts()
    {
        foreach (var group in Known.Concepts.Select(c => c.Group).Distinct())
        {
            var valueSet = ConformanceResources.GroupValueSet(group);
            Assert.Equal(Known.ValueSetFor(group), valueSet.Url);
            Assert.Equal(
                Known.Concepts.Where(c => c.Group == group).Select(c => c.Code),
                valueSet.Compose!.Include.Single().Concept.Select(c => c.Code));
        }
    }

    [Fact]
    public void Standard_value_sets_hold_only_the_verified_codes()
    {
        Assert.Equal([Known.Snomed.Left, Known.Snomed.Right],
            ConformanceResources.LateralityValueSet().Compose!.Include.Single().Concept.Select(c => c.Code));
        Assert.Equal(Known.Icd10Cm.Relevant.Keys.Order(),
            ConformanceResources.DiagnosisValueSet().Compose!.Include.Single().Concept.Select(c => c.Code).Order());
    }

    [Fact]
    public void Operative_note_profile_slices_every_section_with_its_loinc_code_and_cardinality()
    {
        var profile = (StructureDefinition)fixture.Ours.ConformanceResources.Single(r => r is StructureDefinition { Url: Known.Profiles.OperativeNote });
        foreach (var section in OperativeNoteSections.All)
        {
            var slice = profile.Snapshot!.Element.Single(e => e.ElementId == "Composition.section:" + section.SliceName);
            Assert.Equal(section.Required ? 1 : 0, slice.Min);
            var code = profile.Snapshot!.Element.Single(e => e.ElementId == $"Composition.section:{section.SliceName}.code");
            Assert.Equal(section.Code, ((CodeableConcept)code.Pattern!).Coding.Single().Code);
        }
        Assert.Equal(8, OperativeNoteSections.All.Count(s => s.Required));
    }
}
