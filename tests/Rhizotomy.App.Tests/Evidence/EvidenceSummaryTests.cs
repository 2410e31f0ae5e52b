using System.Globalization;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Configuration;
using Rhizotomy.App.Components.Case;
using Rhizotomy.App.Evidence;
using Rhizotomy.App.Launch;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Evidence;

namespace Rhizotomy.App.Tests.Evidence;

public class EvidenceSummaryTests
{
    [Fact]
    public async System.Threading.Tasks.Task A_timeline_of_many_events_draws_no_label_over_another_and_lists_every_event_in_order()
    {
        // 120 events within two years: the old timeline drew a label per event across the picture.
        var start = new DateOnly(2024, 1, 1);
        var blocks = Enumerable.Range(0, 120).Select(i => new PriorBlock(start.AddDays(i * 6).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            Nerve.GreaterOccipital, i % 2 == 0 ? Side.Left : Side.Right, 50 + i % 40, null, new Ref($"Procedure/b{i}"))).ToList();
        var evidence = new CaseEvidence([], blocks, [], [new Imaging("<b>MRI</b> brain", "2024-03-01", new Ref("DiagnosticReport/r"))], []);

        var html = await ComponentHtml.RenderAsync<Timeline>(new() { [nameof(Timeline.Evidence)] = evidence });

        var page = Html.Parse(html);
        var texts = page.QuerySelectorAll("svg text[x][y]").Select(t => (X: int.Parse(t.GetAttribute("x")!, CultureInfo.InvariantCulture), Y: int.Parse(t.GetAttribute("y")!, CultureInfo.InvariantCulture))).ToList();
        Assert.True(texts.Count < 12, $"the picture draws {texts.Count} labels: lanes and year ticks only");
        foreach (var row in texts.GroupBy(t => t.Y))
        {
            var xs = row.Select(t => t.X).Order().ToList();
            Assert.All(xs.Zip(xs.Skip(1)), pair => Assert.True(pair.Second - pair.First >= 60, $"labels {pair.First} and {pair.Second} on one row touch"));
        }
        var listed = page.QuerySelectorAll("li[data-kind] > time[datetime]:first-child").Select(t => t.GetAttribute("datetime")!).ToList();
        Assert.Equal(121, listed.Count);
        Assert.Equal(listed.Order(StringComparer.Ordinal), listed);
        Assert.DoesNotContain("<b>MRI", html, StringComparison.Ordinal);
    }

    [Fact]
    public async System.Threading.Tasks.Task The_necessity_checklist_shows_each_status_its_finding_and_sources_and_offers_printing()
    {
        var evidence = new CaseEvidence([], [], [], [], [])
        {
            Necessity =
            [
                new("diagnosis", "A confirmed diagnosis", CriterionStatus.Met, "Occipital neuralgia (M54.81)", [new Ref("Condition/c1")]),
                new("diagnostic-block", "A block with 50% relief", CriterionStatus.NotMet, "40% <relief>", [new Ref("Procedure/b1")]),
                new("imaging", "Imaging", CriterionStatus.NotFound, "No head or neck imaging in the chart.", []),
            ],
        };

        var html = await ComponentHtml.RenderAsync<NecessityChecklist>(new() { [nameof(NecessityChecklist.Evidence)] = evidence });

        Assert.Contains("<td class=\"status met\">Met</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"status not-met\">Not met</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"status not-found\">Not found in the chart</td>", html, StringComparison.Ordinal);
        Assert.Contains("Condition/c1", html, StringComparison.Ordinal);
        Assert.Contains("40% &lt;relief&gt;", html, StringComparison.Ordinal);
        Assert.Contains("id=\"print-necessity\"", html, StringComparison.Ordinal);
        Assert.Contains("1 of 3 criteria met", await ComponentHtml.RenderAsync<AtAGlance>(new() { [nameof(AtAGlance.Evidence)] = evidence }), StringComparison.Ordinal);
    }

    [Fact]
    public void App_Evidence_configuration_extends_a_code_list_from_a_file()
    {
        var folder = Directory.CreateTempSubdirectory("app-evidence-").FullName;
        try
        {
            var file = Path.Combine(folder, "site-blocks.json");
            File.WriteAllText(file, new FhirJsonSerializer().SerializeToString(new ValueSet
            {
                Status = PublicationStatus.Active,
                Compose = new ValueSet.ComposeComponent { Include = [new ValueSet.ConceptSetComponent { System = "http://site.example/proc", Concept = [new() { Code = "ONB" }] }] },
            }));
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["App:Evidence:ValueSets:evidence-occipital-nerve-block:Path"] = file,
            }).Build();
            var options = configuration.GetSection(AppOptions.Section).Get<AppOptions>()!;
            var block = new Procedure { Id = "b", Status = EventStatus.Completed, Code = new CodeableConcept("http://site.example/proc", "ONB") };

            var lists = options.Evidence.Load();

            Assert.Single(CaseEvidenceBuilder.Build([block], new CaseEvidenceOptions([]) { Lists = lists }).Blocks);
            Assert.Empty(CaseEvidenceBuilder.Build([block]).Blocks);
            Assert.Same(EvidenceCodeLists.Default, new EvidenceOptions().Load());
            var missing = new EvidenceOptions { ValueSets = { ["evidence-pain-score"] = new() { Path = Path.Combine(folder, "absent.json") } } };
            Assert.Contains("absent.json", Assert.Throws<EvidenceListException>(() => missing.Load()).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
