using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Rhizotomy.App;

namespace Rhizotomy.App.Tests;

public class AppStartsTests(WebApplicationFactory<AppEntry> factory) : IClassFixture<WebApplicationFactory<AppEntry>>
{
    [Fact]
    public async Task The_app_answers_its_health_check()
    {
        var response = await factory.CreateClient().GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
