using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Rhizotomy.App.Tests;

public sealed class AppStartsTests : IClassFixture<WebApplicationFactory<AppEntry>>, IDisposable
{
    private readonly string _keys = Directory.CreateTempSubdirectory("rhizotomy-app-starts-").FullName;
    private readonly WebApplicationFactory<AppEntry> _app;

    public AppStartsTests(WebApplicationFactory<AppEntry> factory) =>
        _app = factory.WithWebHostBuilder(b => b.UseSetting("App:DataProtectionKeys", _keys));

    public void Dispose()
    {
        _app.Dispose();
        Directory.Delete(_keys, recursive: true);
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task The_app_answers_its_health_checks(string path)
    {
        var response = await _app.CreateClient().GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_first_page_without_a_launch_says_to_open_the_app_from_the_ehr()
    {
        var response = await _app.CreateClient().GetAsync(new Uri("/", UriKind.Relative));
        Assert.Contains("Open this app from a patient's chart", await response.Content.ReadAsStringAsync());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task The_context_api_without_a_session_answers_an_operation_outcome()
    {
        var response = await _app.CreateClient().GetAsync(new Uri("/api/context", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"resourceType\":\"OperationOutcome\"", await response.Content.ReadAsStringAsync());
    }
}
