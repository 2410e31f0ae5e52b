using Rhizotomy.Core.Notes;

namespace Rhizotomy.Core.Tests.Notes;

/// <summary>Coding support from a site table keyed by nerve, technique and approach: a suggested code and the laterality modifier per Procedure.</summary>
public sealed class CodingTableTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("coding-table-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_folder, "procedure-codes.json");
        File.WriteAllText(path, json);
        return path;
    }

    // A site's table (these codes are the site's to supply; the product ships none).
    private const string SiteTable = """
        {
          "system": "http://www.ama-assn.org/go/cpt",
          "rows": [
            { "nerve": "greater-occipital-nerve", "technique": "neurectomy", "approach": "open", "code": "64744", "left": "LT", "right": "RT", "bilateral": "50" },
            { "nerve": "greater-occipital-nerve", "technique": "radiofrequency", "approach": "percutaneous", "code": "64640", "left": "LT", "right": "RT", "bilateral": "50" },
            { "nerve": "greater-occipital-nerve", "technique": "radiofrequency", "code": "64999" }
          ]
        }
        """;

    [Fact]
    public void The_shipped_table_is_empty()
    {
        var shipped = CodingTable.Load(Path.Combine(RepoPaths.Root(), "profiles", "coding", "procedure-codes.json"));

        Assert.Equal("http://www.ama-assn.org/go/cpt", shipped.System);
        Assert.Empty(shipped.Rows);
    }

    [Fact]
    public void A_left_open_neurectomy_gets_the_sites_code_and_LT()
    {
        var (_, note) = SampleNotes.Filled(SampleNotes.Names[0]);

        var procedure = Assert.Single(new NoteComposer(new NoteComposerOptions(CodingTable.Load(Write(SiteTable)))).Compose(note).Procedures);

        Assert.Contains(procedure.Code!.Coding, c => c.System == "http://www.ama-assn.org/go/cpt" && c.Code == "64744");
        Assert.Contains(procedure.Note, n => n.Text == "Coding support (site table, for the coder to review): 64744 with modifier LT.");
    }

    [Fact]
    public void Both_sides_of_a_percutaneous_radiofrequency_ablation_get_the_bilateral_modifier_and_the_approach_picks_the_row()
    {
        var (_, note) = SampleNotes.Filled(SampleNotes.Names[1]);
        var table = CodingTable.Load(Write(SiteTable));

        var procedures = new NoteComposer(new NoteComposerOptions(table)).Compose(note).Procedures;
        Assert.Equal(2, procedures.Count);
        Assert.All(procedures, p => Assert.Contains(p.Note, n => n.Text == "Coding support (site table, for the coder to review): 64640 with modifier 50."));

        var open = new NoteComposer(new NoteComposerOptions(table)).Compose(note with { ApproachKind = "open" }).Procedures;
        Assert.All(open, p => Assert.Contains(p.Code!.Coding, c => c.Code == "64999"));
    }

    [Fact]
    public void Without_a_row_nothing_is_suggested()
    {
        var (_, note) = SampleNotes.Filled(SampleNotes.Names[0]);
        var table = CodingTable.Load(Write("""{ "system": "http://www.ama-assn.org/go/cpt", "rows": [ { "nerve": "lesser-occipital-nerve", "technique": "neurectomy", "code": "64772" } ] }"""));

        var procedure = Assert.Single(new NoteComposer(new NoteComposerOptions(table)).Compose(note).Procedures);

        Assert.Single(procedure.Code!.Coding);
        Assert.DoesNotContain(procedure.Note, n => n.Text!.StartsWith("Coding support", StringComparison.Ordinal));
    }

    [Fact]
    public void A_table_with_a_row_without_a_code_is_refused_naming_the_file_and_row()
    {
        var path = Write("""{ "system": "http://www.ama-assn.org/go/cpt", "rows": [ { "nerve": "greater-occipital-nerve", "technique": "neurectomy" } ] }""");

        var e = Assert.Throws<InvalidDataException>(() => CodingTable.Load(path));

        Assert.Equal("The coding table procedure-codes.json has a row without nerve, technique or code (row 1).", e.Message);
    }
}
