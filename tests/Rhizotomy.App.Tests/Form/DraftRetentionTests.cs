using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Rhizotomy.App.Drafts;
using Rhizotomy.App.Tests.WriteBack;
using Rhizotomy.App.WriteBack;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Form;

/// <summary>Drafts hold PHI at rest: the ones nobody saved for the retention period are removed, on the app's (the test's) clock.</summary>
public class DraftRetentionTests
{
    private static async Task<HttpStatusCode> SaveDraftAsync(SmartWorld world, SurgeonTab tab, QuestionnaireResponse response)
    {
        var csrf = (await SmartWorld.JsonAsync(await tab.Browser.GetAsync(new Uri(world.AppOrigin + "/api/context")))).GetProperty("csrfToken").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Put, world.AppOrigin + "/api/drafts")
        {
            Content = new StringContent(new FhirJsonSerializer().SerializeToString(response), Encoding.UTF8, "application/fhir+json"),
        };
        request.Headers.Add("X-CSRF-Token", csrf);
        request.Headers.Add("X-Launch-Id", tab.LaunchId);
        using var answer = await tab.Browser.SendAsync(request);
        return answer.StatusCode;
    }

    private static async Task<HttpStatusCode> DraftStatusAsync(SmartWorld world, SurgeonTab tab, string template)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, world.AppOrigin + "/api/drafts?template=" + template);
        request.Headers.Add("X-Launch-Id", tab.LaunchId);
        using var answer = await tab.Browser.SendAsync(request);
        return answer.StatusCode;
    }

    private static async Task<int> RowsAsync(SmartWorld world)
    {
        await using var db = await world.App.Services.GetRequiredService<IDbContextFactory<WriteBackDb>>().CreateDbContextAsync();
        return await db.Drafts.CountAsync();
    }

    [Fact]
    public async Task A_draft_not_saved_for_the_retention_period_is_removed_from_the_store_and_no_longer_offered_while_a_recent_one_stays()
    {
        await using var world = await SigningTests.WorldAsync("full", realClock: false, more: o =>
        {
            o.App["App:Drafts:RetentionDays"] = "14";
            // The sweep runs every second here, so the test waits for it rather than for a quarter of an hour.
            o.App["App:Drafts:PurgeIntervalSeconds"] = "1";
        });
        using (var tab = await SurgeonTab.LaunchAsync(world))
            Assert.Equal(HttpStatusCode.NoContent, await SaveDraftAsync(world, tab, SignedNotes.LeftNeurectomy("old-draft")));
        Assert.Equal(1, await RowsAsync(world));

        // Ten days later the surgeon opens the app again: the old draft is still offered, and a coagulation draft is started.
        world.Clock.Advance(TimeSpan.FromDays(10));
        using (var tab = await SurgeonTab.LaunchAsync(world))
        {
            Assert.Equal(HttpStatusCode.OK, await DraftStatusAsync(world, tab, TemplateDefinitions.NeurectomyId));
            var coagulation = SignedNotes.LeftNeurectomy("recent-draft");
            coagulation.Questionnaire = TemplateDefinitions.Build(Technique.Coagulation).Url;
            Assert.Equal(HttpStatusCode.NoContent, await SaveDraftAsync(world, tab, coagulation));
        }
        Assert.Equal(0, await world.App.Services.GetRequiredService<DraftStore>().PurgeAsync(CancellationToken.None));
        Assert.Equal(2, await RowsAsync(world));

        // Five days more: the neurectomy draft has not been saved for 15 days, the coagulation one for 5.
        world.Clock.Advance(TimeSpan.FromDays(5));
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (await RowsAsync(world) != 1)
        {
            Assert.True(DateTime.UtcNow < deadline, "the background purge did not remove the old draft within two minutes");
            await Task.Delay(100);
        }
        using (var tab = await SurgeonTab.LaunchAsync(world))
        {
            Assert.Equal(HttpStatusCode.NotFound, await DraftStatusAsync(world, tab, TemplateDefinitions.NeurectomyId));
            Assert.Equal(HttpStatusCode.OK, await DraftStatusAsync(world, tab, TemplateDefinitions.CoagulationId));
            var casePage = await tab.Browser.GetStringAsync(new Uri(world.AppOrigin + "/s/" + tab.LaunchId));
            // The case page offers the coagulation draft alone.
            Assert.Single(Html.Parse(casePage).QuerySelectorAll(".notice.draft"));
            Assert.Contains("template=" + TemplateDefinitions.CoagulationId, casePage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_draft_past_its_retention_is_not_offered_even_before_the_sweep_removes_it()
    {
        await using var world = await SigningTests.WorldAsync("full", realClock: false, more: o =>
        {
            o.App["App:Drafts:RetentionDays"] = "2";
            // No sweep during the test (the first runs at start): only the read side is left to keep the old draft out.
            o.App["App:Drafts:PurgeIntervalSeconds"] = "86400";
        });
        using (var tab = await SurgeonTab.LaunchAsync(world))
            Assert.Equal(HttpStatusCode.NoContent, await SaveDraftAsync(world, tab, SignedNotes.LeftNeurectomy("stale-draft")));

        world.Clock.Advance(TimeSpan.FromDays(3));
        using var again = await SurgeonTab.LaunchAsync(world);
        Assert.Equal(HttpStatusCode.NotFound, await DraftStatusAsync(world, again, TemplateDefinitions.NeurectomyId));
        Assert.DoesNotContain("Unsigned draft", await again.Browser.GetStringAsync(new Uri(world.AppOrigin + "/s/" + again.LaunchId)), StringComparison.Ordinal);
        Assert.Equal(1, await RowsAsync(world));
    }
}
