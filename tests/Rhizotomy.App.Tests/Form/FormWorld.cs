using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Rhizotomy.App.Tests.Form;

/// <summary>One sandbox and app for the form tests, with a launched browser on the classic left-sided chart.</summary>
public sealed class FormWorld : IAsyncLifetime
{
    public SmartWorld World { get; private set; } = null!;
    public HttpClient Browser { get; } = SmartWorld.Browser();
    public string LaunchId { get; private set; } = "";
    public string Csrf { get; private set; } = "";

    public async System.Threading.Tasks.Task InitializeAsync()
    {
        World = await SmartWorld.StartAsync();
        await World.SeedAsync(Charts.ClassicLeft());
        var page = await Browser.GetAsync(World.LaunchUrl("test-classic-left", "test-surgeon", "test-classic-left-surgery"));
        page.EnsureSuccessStatusCode();
        LaunchId = page.RequestMessage!.RequestUri!.AbsolutePath.Split('/')[2];
        var context = JsonDocument.Parse(await Browser.GetStringAsync(new Uri(World.AppOrigin + "/api/context"))).RootElement;
        Csrf = context.GetProperty("csrfToken").GetString()!;
    }

    public async System.Threading.Tasks.Task DisposeAsync()
    {
        Browser.Dispose();
        await World.DisposeAsync();
    }

    public Uri Url(string path) => new(World.AppOrigin + path);

    public HttpRequestMessage Post(string path, string? body, string contentType = "application/fhir+json", bool csrf = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Url(path));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        if (csrf)
            request.Headers.Add("X-CSRF-Token", Csrf);
        request.Headers.Add("X-Launch-Id", LaunchId);
        return request;
    }

    public static string Json(Resource r) => new FhirJsonSerializer().SerializeToString(r);

    public static T Parse<T>(string json) where T : Resource => new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<T>(json);
}
