using System.Net;
using System.Text.Json;

namespace Rhizotomy.App.Tests.Launch;

public class EhrLaunchTests
{
    [Theory]
    [InlineData(ClientKind.Public)]
    [InlineData(ClientKind.Symmetric)]
    [InlineData(ClientKind.AsymmetricRs384)]
    [InlineData(ClientKind.AsymmetricEs384)]
    public async Task An_ehr_launch_reaches_the_evidence_page_and_the_context_for_each_client_type(ClientKind kind)
    {
        await using var world = await SmartWorld.StartAsync(new() { Client = kind });
        await world.SeedAsync(Charts.ClassicLeft());
        using var browser = SmartWorld.Browser();

        var page = await browser.GetAsync(world.LaunchUrl("test-classic-left", "test-surgeon", "test-classic-left-surgery"));
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.StartsWith(world.AppOrigin + "/s/", page.RequestMessage!.RequestUri!.AbsoluteUri);
        Assert.Contains("Alex Testperson", html);
        Assert.Contains("Documenting as Dr Sam Cutter", html);
        Assert.Contains("85% relief for 8 hours", html);
        Assert.Equal("no-store", page.Headers.CacheControl?.ToString());

        var context = JsonDocument.Parse(await browser.GetStringAsync(new Uri(world.AppOrigin + "/api/context"))).RootElement;
        Assert.Equal("test-classic-left", context.GetProperty("patientId").GetString());
        Assert.Equal("Practitioner/test-surgeon", context.GetProperty("fhirUser").GetString());
        Assert.Equal("test-classic-left-surgery", context.GetProperty("encounterId").GetString());
        Assert.False(context.GetProperty("mode").GetProperty("readOnly").GetBoolean());
        Assert.Contains(context.GetProperty("grantedScopes").EnumerateArray(), s => s.GetString() == "patient/Condition.rs");
        Assert.Equal(0, context.GetProperty("evidence").GetProperty("gaps").GetArrayLength());
        Assert.True(context.GetProperty("csrfToken").GetString()!.Length >= 40);
        Assert.DoesNotContain("accessToken", context.GetRawText(), StringComparison.OrdinalIgnoreCase);
    }
}
