using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sandbox.Ehr.Auth;
using Sandbox.Ehr.Hosting;

namespace Sandbox.Ehr.Tests;

/// <summary>Settings checked at start (one line per wrong setting), and default registrations at the app's configured origin.</summary>
public sealed class SandboxSettingsTests
{
    private static WebApplication Build(params (string Key, string? Value)[] settings) =>
        SandboxHost.Build(["--urls", "http://127.0.0.1:0"], b => b.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["Sandbox:Storage"] = "memory", ["Serilog:MinimumLevel:Default"] = "Warning" }
                .Concat(settings.Select(s => KeyValuePair.Create(s.Key, s.Value)))));

    [Theory]
    [InlineData("Sandbox:AppOrigin", "not a url", "Sandbox:AppOrigin is 'not a url': put the origin the app runs at")]
    [InlineData("Sandbox:PublicOrigin", "ftp://x", "Sandbox:PublicOrigin is 'ftp://x'")]
    [InlineData("Sandbox:AccessTokenMinutes", "0", "Sandbox:AccessTokenMinutes is 0: put a number of minutes above 0")]
    [InlineData("Sandbox:StandaloneUser", "nurse", "Sandbox:StandaloneUser is 'nurse': put practitioner or patient.")]
    [InlineData("Sandbox:ExternalFhirBases:0", "fhir-elsewhere", "Sandbox:ExternalFhirBases:0 is 'fhir-elsewhere': put the FHIR base URL of a server this one authorizes for")]
    [InlineData("Sandbox:Clients:0:Type", "secret", "Sandbox:Clients:0:Type is 'secret': put public, symmetric or asymmetric.")]
    public async Task A_wrong_setting_stops_the_start_naming_it_and_what_to_put(string key, string value, string expected)
    {
        await using var sandbox = Build((key, value), ("Sandbox:Clients:0:ClientId", "some-client"));
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => sandbox.StartAsync());
        var failure = Assert.Single(error.Failures);
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', failure);
    }

    [Fact]
    public void A_wrong_mode_is_a_settings_error_with_the_modes_to_choose()
    {
        var error = Assert.Throws<SandboxSettingsException>(() => Build(("Sandbox:Mode", "cerner-ish")));
        Assert.Equal("Sandbox:Mode is 'cerner-ish': put full, epic-like or oracle-like.", error.Message);
    }

    [Fact]
    public async Task The_default_registrations_follow_the_configured_app_origin()
    {
        await using var sandbox = Build(("Sandbox:AppOrigin", "http://127.0.0.1:6123"));
        await sandbox.StartAsync();
        var clients = sandbox.Services.GetRequiredService<SmartClients>();
        var app = clients.Find(SmartClientRegistration.AppClientId)!;
        Assert.Equal(["http://127.0.0.1:6123/callback"], app.RedirectUris);
        Assert.Equal("http://127.0.0.1:6123/launch", app.LaunchUrl);
        Assert.Equal("http://127.0.0.1:6123/.well-known/jwks.json", clients.Find("rhizotomy-backend")!.JwksUri);
        Assert.DoesNotContain(clients.All, c => c.RedirectUris.Any(u => u.Contains(":5090", StringComparison.Ordinal)));
        await sandbox.StopAsync();
    }
}
