using Microsoft.AspNetCore.Mvc.Testing;
using Sandbox.Ehr;

namespace Sandbox.Ehr.Tests;

public class SandboxStartsTests(WebApplicationFactory<SandboxEntry> factory) : IClassFixture<WebApplicationFactory<SandboxEntry>>
{
    [Fact]
    public async Task The_root_sends_a_person_to_the_launcher()
    {
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var response = await client.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal("/launcher", response.Headers.Location?.OriginalString);
    }
}
