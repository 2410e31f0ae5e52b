using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.WriteBack;

/// <summary>A site's coding table (<c>App:Coding:Table</c>) reaches each filed Procedure: the suggested code and the laterality modifier.</summary>
public sealed class CodingTableSiteFileTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rhizotomy-coding-table-").FullName;
    private SmartWorld _world = null!;

    public async Task InitializeAsync()
    {
        var table = Path.Combine(_folder, "site-procedure-codes.json");
        await File.WriteAllTextAsync(table, """
            {
              "system": "http://www.ama-assn.org/go/cpt",
              "rows": [
                { "nerve": "greater-occipital-nerve", "technique": "neurectomy", "code": "64744", "left": "LT", "right": "RT", "bilateral": "50" }
              ]
            }
            """);
        var options = new SmartWorld.Options();
        options.App["App:Coding:Table"] = table;
        _world = await SmartWorld.StartAsync(options);
        await _world.SeedAsync(Charts.ClassicLeft());
    }

    public async Task DisposeAsync()
    {
        await _world.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_signed_left_neurectomy_is_filed_with_the_site_tables_code_and_the_left_modifier()
    {
        using var tab = await SurgeonTab.LaunchAsync(_world);
        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("rz-coding-1"));
        Assert.Equal("written", (await SurgeonTab.FinalAsync(tab, signed)).GetProperty("status").GetString());

        var procedure = Assert.Single(SignedNotes.Written<Procedure>(await SignedNotes.ChartAsync(_world), "rz-coding-1"));
        var code = Assert.IsType<CodeableConcept>(procedure.Code);
        Assert.Contains(code.Coding, c => c.System == Known.Systems.Cpt && c.Code == "64744");
        Assert.Contains(code.Coding, c => c.System == Known.ProjectCodeSystem);
        Assert.Contains(procedure.Note, n => n.Text?.Contains("64744 with modifier LT.", StringComparison.Ordinal) == true);
    }
}
