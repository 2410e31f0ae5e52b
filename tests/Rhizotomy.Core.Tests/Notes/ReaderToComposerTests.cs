using Rhizotomy.Tests.Shared;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Templates;
using Rhizotomy.Core.Tests.TestData;
using Rhizotomy.Core.Tests.Validation;
using Rhizotomy.Core.Validation;

namespace Rhizotomy.Core.Tests.Notes;

// The seam with the templates feature: a response the surgeon completed, read by NoteReader,
// composes to resources that meet our profiles and the published ones.
public class ReaderToComposerTests(ValidationFixture fixture) : IClassFixture<ValidationFixture>
{
    public static TheoryData<string> Cases() => ["neurectomy", "radiofrequency"];

    private static (Questionnaire Template, QuestionnaireResponse Response) Completed(string name)
    {
        if (name == "neurectomy") return (Responses.NeurectomyTemplate, Responses.CompletedLeftNeurectomy(TestData.Cases.ClassicLeft()));
        var response = Responses.CompletedLeftNeurectomy(TestData.Cases.ClassicLeft(), Responses.CoagulationTemplate);
        NoteAnswers.Radiofrequency(response, NoteAnswers.For(Nerve.GreaterOccipital, Side.Left));
        return (Responses.CoagulationTemplate, response);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_completed_template_read_by_the_note_reader_composes_to_valid_resources(string name)
    {
        var (template, response) = Completed(name);
        var read = NoteReader.Read(template, response, TestData.Cases.Context(), TestData.Cases.ClassicLeft());
        Assert.True(read.CanSign, string.Join("\n", read.Outcome.Issue.Select(i => i.Details?.Text)));

        var composed = new NoteComposer().Compose(read.Note!, response);

        Assert.Equal(name == "neurectomy" ? "Left greater occipital neurectomy" : "Left greater occipital nerve radiofrequency ablation", composed.Composition.Title);
        foreach (var resource in composed.Resources)
        {
            var ours = fixture.Ours.Validate(resource);
            Assert.True(ProfileValidator.IsValid(ours), $"{resource.TypeName}: {ValidationFixture.Errors(ours)}");
            var published = fixture.Published.Validate(resource, ProfileValidatorTests.PublishedProfileFor(resource.TypeName));
            Assert.True(ProfileValidator.IsValid(published), $"{resource.TypeName}: {ValidationFixture.Errors(published)}");
        }
    }

    [Fact]
    public void Implants_and_drains_answered_none_in_the_template_read_no_implants_and_no_drains_in_the_note()
    {
        // The completed test response picks the template's "None" option for both items.
        var (template, response) = Completed("neurectomy");
        var read = NoteReader.Read(template, response, TestData.Cases.Context(), TestData.Cases.ClassicLeft());
        Assert.True(read.CanSign);

        var text = new NoteComposer().Compose(read.Note!, response).Text;

        Assert.Contains("No implants.", text);
        Assert.Contains("No drains.", text);
        Assert.DoesNotContain("None", text.Split('\n').Select(l => l.Trim()));
    }

    [Fact]
    public void Implants_described_in_words_in_the_template_are_written_as_given()
    {
        var (template, response) = Completed("neurectomy");
        NoteAnswers.Set(response, [LinkIds.Implants], new FhirString("Silicone nerve cap on the proximal stump"));
        var read = NoteReader.Read(template, response, TestData.Cases.Context(), TestData.Cases.ClassicLeft());
        Assert.True(read.CanSign);

        var text = new NoteComposer().Compose(read.Note!, response).Text;

        Assert.Contains("Silicone nerve cap on the proximal stump", text);
        Assert.DoesNotContain("No implants", text);
        Assert.Contains("No drains.", text);
    }
}
