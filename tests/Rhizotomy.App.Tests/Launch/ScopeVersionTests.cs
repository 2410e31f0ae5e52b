namespace Rhizotomy.App.Tests.Launch;

public class ScopeVersionTests
{
    [Fact]
    public async Task An_ehr_configured_for_v1_scopes_is_asked_read_and_write_scopes_and_the_chart_is_read_with_them()
    {
        var options = new SmartWorld.Options();
        options.App["App:Ehrs:0:ScopeVersion"] = "v1";
        await using var world = await SmartWorld.StartAsync(options);
        await world.SeedAsync(Charts.ClassicLeft());
        using var browser = SmartWorld.Browser();

        await browser.GetAsync(world.LaunchUrl("test-classic-left", "test-surgeon"));
        var context = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri(world.AppOrigin + "/api/context")));

        var scopes = context.GetProperty("grantedScopes").EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.Contains("patient/Condition.read", scopes);
        Assert.Contains("patient/DocumentReference.write", scopes);
        Assert.DoesNotContain(scopes, s => s!.EndsWith(".rs", StringComparison.Ordinal));
        Assert.False(context.GetProperty("mode").GetProperty("readOnly").GetBoolean());
        Assert.Equal(1, context.GetProperty("evidence").GetProperty("blocks").GetArrayLength());
        Assert.Empty(context.GetProperty("warnings").EnumerateArray());
    }
}
