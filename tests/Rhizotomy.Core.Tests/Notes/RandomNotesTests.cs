using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Tests.Validation;
using Rhizotomy.Core.Validation;

namespace Rhizotomy.Core.Tests.Notes;

public class RandomNotesTests(ValidationFixture fixture) : IClassFixture<ValidationFixture>
{
    // Enough to walk every option many times; kept small because each note is ~6 validations.
    private const int Cases = 150;

    [Fact]
    public void Random_valid_notes_always_compose_to_resources_that_meet_our_profiles()
    {
        var random = new Random(20260304);
        var composer = new NoteComposer();
        var failures = new List<string>();
        for (var i = 0; i < Cases && failures.Count < 5; i++)
        {
            var note = RandomNotes.Next(random, i);
            var composed = composer.Compose(note, SampleNotes.Response(note));
            foreach (var resource in composed.Resources)
            {
                var outcome = fixture.Ours.Validate(resource);
                if (!ProfileValidator.IsValid(outcome))
                    failures.Add($"note {i} {resource.TypeName}: {ValidationFixture.Errors(outcome)}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Random_valid_notes_also_meet_the_published_us_core_and_ccda_profiles()
    {
        var random = new Random(1123);
        var composer = new NoteComposer();
        var failures = new List<string>();
        for (var i = 0; i < 25 && failures.Count < 5; i++)
        {
            var note = RandomNotes.Next(random, i);
            foreach (var resource in composer.Compose(note, SampleNotes.Response(note)).Resources)
            {
                var outcome = fixture.Published.Validate(resource, ProfileValidatorTests.PublishedProfileFor(resource.TypeName));
                if (!ProfileValidator.IsValid(outcome))
                    failures.Add($"note {i} {resource.TypeName}: {ValidationFixture.Errors(outcome)}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Random_notes_compose_deterministically()
    {
        var first = new Random(7);
        var second = new Random(7);
        var serializer = new FhirJsonSerializer();
        for (var i = 0; i < 20; i++)
        {
            var a = new NoteComposer().Compose(RandomNotes.Next(first, i)).ToTransactionBundle();
            var b = new NoteComposer().Compose(RandomNotes.Next(second, i)).ToTransactionBundle();
            Assert.Equal(serializer.SerializeToString(a), serializer.SerializeToString(b));
        }
    }
}
