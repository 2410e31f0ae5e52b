using System.Net;

namespace Rhizotomy.App.Tests.Launch;

/// <summary>A sandbox that shows its consent screen and grants this client reads only.</summary>
public sealed class ConsentWorld : IAsyncLifetime
{
    public SmartWorld World { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var options = new SmartWorld.Options
        {
            GrantableScopes = ["launch", "openid", "fhirUser", "patient/Patient.r", "patient/Condition.rs", "patient/Procedure.rs", "patient/Encounter.rs", "user/Practitioner.r"],
        };
        options.Sandbox["Sandbox:AutoApprove"] = "false";
        World = await SmartWorld.StartAsync(options);
        await World.SeedAsync(Charts.ClassicLeft());
    }

    public async Task DisposeAsync() => await World.DisposeAsync();
}

public class ConsentAndScopeTests(ConsentWorld fixture) : IClassFixture<ConsentWorld>
{
    private SmartWorld World => fixture.World;

    private async Task<HttpResponseMessage> DecideAsync(HttpClient browser, string decision)
    {
        var consent = await browser.GetAsync(World.LaunchUrl("test-classic-left", "test-surgeon"));
        var html = await consent.Content.ReadAsStringAsync();
        Assert.Contains("asks for access", html);
        var fields = HiddenInputs.Of(html);
        fields["sandbox_decision"] = decision;
        return await browser.PostAsync(new Uri(World.SandboxOrigin + "/auth/authorize"), new FormUrlEncodedContent(fields));
    }

    [Fact]
    public async Task Denied_consent_gets_a_plain_page_with_the_next_step()
    {
        using var browser = SmartWorld.Browser();
        var response = await DecideAsync(browser, "deny");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(World.AppOrigin + "/callback", response.RequestMessage!.RequestUri!.GetLeftPart(UriPartial.Path));
        Assert.Contains("Access was not granted", html);
        Assert.Contains("allow access when asked", html);
    }

    [Fact]
    public async Task A_grant_narrowed_by_the_server_opens_in_a_clear_read_only_mode()
    {
        using var browser = SmartWorld.Browser();
        var page = await DecideAsync(browser, "approve");
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Read-only", html);
        Assert.Contains("85% relief", html);
        var context = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri(World.AppOrigin + "/api/context")));
        var mode = context.GetProperty("mode");
        Assert.True(mode.GetProperty("readOnly").GetBoolean());
        Assert.False(mode.GetProperty("canWriteDocumentReference").GetBoolean());
        Assert.False(mode.GetProperty("canRefresh").GetBoolean());
        Assert.DoesNotContain(context.GetProperty("grantedScopes").EnumerateArray(), s => s.GetString()!.Contains("DocumentReference", StringComparison.Ordinal));
        Assert.Contains(context.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.StartsWith("Not granted: medication orders", StringComparison.Ordinal));
    }
}
