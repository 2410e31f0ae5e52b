using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Sandbox.Ehr.Fhir.Faults;

namespace Rhizotomy.App.Tests.Ehr;

// Faults are set on the shared sandbox: this class runs in the public world's collection, never
// beside another test of that world.
[Collection(Launch.PublicWorldCollection.Name)]
public class ResilienceTests(Launch.PublicWorld fixture)
{
    private SmartWorld World => fixture.World;

    private void Faults(FaultSettings settings) => World.Sandbox.Services.GetRequiredService<FaultInjector>().Replace(settings);

    [Fact]
    public async Task A_read_answered_429_with_retry_after_is_retried_and_the_chart_is_complete()
    {
        // A seed whose first roll meets the fault and whose next rolls do not: the first Procedure
        // search gets 429 (Retry-After: 1) and only a retry can read the block.
        var seed = Enumerable.Range(1, 1000).First(s =>
        {
            var dice = new Random(s);
            return dice.NextDouble() < 0.5 && dice.NextDouble() >= 0.5 && dice.NextDouble() >= 0.5;
        });
        Faults(new FaultSettings
        {
            Seed = seed,
            Rules = [new FaultRule { Kind = "429", Rate = 0.5, Method = "GET", Path = "/fhir/Procedure", RetryAfterSeconds = 1 }],
        });
        try
        {
            using var browser = SmartWorld.Browser();
            var page = await browser.GetAsync(World.LaunchUrl("test-classic-left", "test-surgeon"));
            var context = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri(World.AppOrigin + "/api/context")));

            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Empty(context.GetProperty("warnings").EnumerateArray());
            Assert.Equal(1, context.GetProperty("evidence").GetProperty("blocks").GetArrayLength());
        }
        finally
        {
            Faults(new FaultSettings());
        }
    }

    [Fact]
    public async Task A_resource_type_the_ehr_keeps_failing_is_named_on_the_page_and_the_rest_is_shown()
    {
        Faults(new FaultSettings
        {
            Rules = [new FaultRule { Kind = "503", Rate = 1, Path = "/fhir/DiagnosticReport", RetryAfterSeconds = 0 }],
        });
        try
        {
            using var browser = SmartWorld.Browser();
            var page = await browser.GetAsync(World.LaunchUrl("test-classic-left", "test-surgeon"));
            var html = await page.Content.ReadAsStringAsync();
            var context = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri(World.AppOrigin + "/api/context")));

            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("Could not read reports (HTTP 503)", html);
            Assert.Equal(1, context.GetProperty("evidence").GetProperty("blocks").GetArrayLength());
            Assert.Contains(context.GetProperty("evidence").GetProperty("gaps").EnumerateArray(), g => g.GetProperty("code").GetString() == "no-imaging");

            // Once the EHR answers again, the next view reads the reports (a partial read is not kept).
            Faults(new FaultSettings());
            var healed = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri(World.AppOrigin + "/api/context")));
            Assert.Empty(healed.GetProperty("warnings").EnumerateArray());
            Assert.Equal(1, healed.GetProperty("evidence").GetProperty("imaging").GetArrayLength());
        }
        finally
        {
            Faults(new FaultSettings());
        }
    }

    [Fact]
    public async Task A_failed_read_is_flagged_by_what_failed_and_not_by_the_wording_of_its_warning()
    {
        Faults(new FaultSettings
        {
            Rules =
            [
                new FaultRule { Kind = "503", Rate = 1, Path = "/fhir/DiagnosticReport", RetryAfterSeconds = 0 },
                new FaultRule { Kind = "500", Rate = 1, Method = "GET", Path = "/fhir/Encounter/", RetryAfterSeconds = 0 },
            ],
        });
        try
        {
            using var browser = SmartWorld.Browser();
            using var page = await browser.GetAsync(World.LaunchUrl("test-classic-left", "test-surgeon", "test-classic-left-surgery"));
            var context = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri(World.AppOrigin + "/api/context")));

            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal(new[] { "reports", "the encounter" }, context.GetProperty("failedReads").EnumerateArray().Select(f => f.GetString()!).Order(StringComparer.Ordinal));
            Assert.Equal(2, context.GetProperty("warnings").GetArrayLength());
        }
        finally
        {
            Faults(new FaultSettings());
        }

        // Completeness follows the failures, whatever the sentences say.
        var evidence = new Rhizotomy.Core.Clinical.CaseEvidence([], [], [], [], []);
        var reworded = new App.Ehr.ChartSnapshot(null, null, null, evidence, ["Les comptes rendus n'ont pas pu être lus."], 1, 0, DateTimeOffset.UtcNow)
        {
            FailedReads = ["reports"],
        };
        var merelyWorded = new App.Ehr.ChartSnapshot(null, null, null, evidence, ["Could not read the mind of the EHR (it was not asked)."], 1, 0, DateTimeOffset.UtcNow);
        Assert.False(reworded.Complete);
        Assert.True(merelyWorded.Complete);
    }
}
