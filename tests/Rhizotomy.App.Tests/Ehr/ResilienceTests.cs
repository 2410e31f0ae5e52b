using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Sandbox.Ehr.Fhir.Faults;

namespace Rhizotomy.App.Tests.Ehr;

public sealed class FaultyWorld : IAsyncLifetime
{
    public SmartWorld World { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        World = await SmartWorld.StartAsync();
        await World.SeedAsync(Charts.ClassicLeft());
    }

    public async Task DisposeAsync() => await World.DisposeAsync();

    public void Faults(FaultSettings settings) => World.Sandbox.Services.GetRequiredService<FaultInjector>().Replace(settings);
}

public class ResilienceTests(FaultyWorld fixture) : IClassFixture<FaultyWorld>
{
    private SmartWorld World => fixture.World;

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
        fixture.Faults(new FaultSettings
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
            fixture.Faults(new FaultSettings());
        }
    }

    [Fact]
    public async Task A_resource_type_the_ehr_keeps_failing_is_named_on_the_page_and_the_rest_is_shown()
    {
        fixture.Faults(new FaultSettings
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
        }
        finally
        {
            fixture.Faults(new FaultSettings());
        }
    }
}
