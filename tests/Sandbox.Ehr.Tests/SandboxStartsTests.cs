using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Sandbox.Ehr.Tests;

/// <summary>The sandbox as its Program starts it, with in-memory storage (nothing written into the project folder).</summary>
public sealed class InMemorySandboxFactory : WebApplicationFactory<SandboxEntry>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder) =>
        builder.UseSetting("Sandbox:Storage", "memory").UseSetting("Serilog:MinimumLevel:Default", "Warning");
}

public class SandboxStartsTests(InMemorySandboxFactory factory) : IClassFixture<InMemorySandboxFactory>
{
    [Fact]
    public async Task The_root_sends_a_person_to_the_launcher()
    {
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var response = await client.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal("/launcher", response.Headers.Location?.OriginalString);
    }
}
