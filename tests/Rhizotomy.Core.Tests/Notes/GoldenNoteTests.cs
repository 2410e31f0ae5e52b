using Rhizotomy.Core.Notes;

namespace Rhizotomy.Core.Tests.Notes;

// The rendered note is what a surgeon, a reviewer and a payer read: any change to it must be seen
// in review. Set UPDATE_GOLDEN=1 to rewrite the files after an intended change.
public class GoldenNoteTests
{
    public static TheoryData<string> Cases() => ["neurectomy", "radiofrequency"];

    // Through the real path: the sample answers on the shipped template, the checks, the reader, the composer.
    private static ComposedNote Compose(string name)
    {
        var (response, note) = SampleNotes.Filled(SampleNotes.Names[name == "neurectomy" ? 0 : 1]);
        return new NoteComposer().Compose(note, response);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rendered_note_text_matches_the_golden_file(string name)
    {
        var text = Compose(name).Text;
        var file = Path.Combine(RepoPaths.Root(), "tests", "Rhizotomy.Core.Tests", "Notes", "Golden", name + ".txt");
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1") File.WriteAllText(file, text);

        Assert.True(File.Exists(file), $"Golden file {name}.txt is missing; run with UPDATE_GOLDEN=1 and review it.");
        Assert.Equal(File.ReadAllText(file), text);
    }
}
