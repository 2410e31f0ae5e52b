using System.Net;
using System.Text.Json;

namespace Rhizotomy.App.Tests.Launch;

/// <summary>The public client's case runs in the shared <see cref="PublicWorld"/> (the same sandbox settings): <see cref="PublicEhrLaunchTests"/>.</summary>
public class EhrLaunchTests
{
    [Theory]
    [InlineData(ClientKind.Symmetric)]
    [InlineData(ClientKind.AsymmetricRs384)]
    [InlineData(ClientKind.AsymmetricEs384)]
    public async Task An_ehr_launch_and_a_standalone_launch_reach_the_evidence_page_and_the_context_for_each_client_type(ClientKind kind)
    {
        var options = new SmartWorld.Options { Client = kind };
        options.Sandbox["Sandbox:StandalonePatient"] = "test-classic-left";
        options.Sandbox["Sandbox:StandalonePractitioner"] = "test-surgeon";
        await using var world = await SmartWorld.StartAsync(options);
        await world.SeedAsync(Charts.ClassicLeft());
        await LaunchesAsync(world, kind);
    }

    /// <summary>An EHR launch and a standalone launch of <paramref name="world"/>'s app reach the evidence page and the context.</summary>
    internal static async Task LaunchesAsync(SmartWorld world, ClientKind kind)
    {
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

        using var standaloneBrowser = SmartWorld.Browser();
        var standalone = await standaloneBrowser.GetAsync(new Uri($"{world.AppOrigin}/launch?iss={Uri.EscapeDataString(world.Issuer)}"));
        Assert.Equal(HttpStatusCode.OK, standalone.StatusCode);
        Assert.Contains("85% relief for 8 hours", await standalone.Content.ReadAsStringAsync());
        var standaloneContext = JsonDocument.Parse(await standaloneBrowser.GetStringAsync(new Uri(world.AppOrigin + "/api/context"))).RootElement;
        Assert.Equal("test-classic-left", standaloneContext.GetProperty("patientId").GetString());
        Assert.True(standaloneContext.GetProperty("mode").GetProperty("standalone").GetBoolean());

        var jwks = JsonDocument.Parse(await browser.GetStringAsync(new Uri(world.AppOrigin + "/.well-known/jwks.json"))).RootElement.GetProperty("keys");
        if (kind is ClientKind.AsymmetricRs384 or ClientKind.AsymmetricEs384)
        {
            var key = Assert.Single(jwks.EnumerateArray());
            Assert.Equal(kind == ClientKind.AsymmetricRs384 ? "RS384" : "ES384", key.GetProperty("alg").GetString());
            Assert.False(key.TryGetProperty("d", out _), "the JWKS must carry no private key material");
        }
        else
        {
            Assert.Equal(0, jwks.GetArrayLength());
        }
    }
}

[Collection(PublicWorldCollection.Name)]
public class PublicEhrLaunchTests(PublicWorld fixture)
{
    [Fact]
    public async Task An_ehr_launch_and_a_standalone_launch_of_the_public_client_reach_the_evidence_page_and_the_context() =>
        await EhrLaunchTests.LaunchesAsync(fixture.World, ClientKind.Public);
}
