using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.Tests.Shared;

/// <summary>
/// An independent open-source FHIR R4 server nobody here wrote: Medplum's FHIR router (npm <c>@medplum/fhir-router</c>,
/// version in <c>tests/IndependentFhir/package.json</c>) with its in-memory repository, behind the small Node listener in
/// <c>tests/IndependentFhir/server.js</c>, started by the test on a free loopback port and stopped with it. The sandbox's
/// authorization server stands in front of it as the hospital's (<see cref="AuthorizeWithAsync"/>); charts are loaded
/// with Firely (<see cref="LoadAsync"/>).
/// </summary>
public sealed partial class IndependentServer : IAsyncDisposable
{
    private readonly KeptOutputProcess _process;
    private readonly string _adminToken;

    private IndependentServer(KeptOutputProcess process, string fhirBase, string adminToken)
    {
        _process = process;
        Base = fhirBase;
        _adminToken = adminToken;
    }

    /// <summary>The server's FHIR base (<c>http://127.0.0.1:PORT/fhir</c>).</summary>
    public string Base { get; }

    public static string Folder => Path.Combine(RepositoryRoot.Find(), "tests", "IndependentFhir");

    /// <param name="pageSize">The most entries one search page holds (small pages force the app to follow <c>next</c> links).</param>
    /// <param name="stateLimit">The CapabilityStatement states the router's transaction limit in <c>rest.documentation</c>.</param>
    public static async Task<IndependentServer> StartAsync(int pageSize = 50, bool stateLimit = false)
    {
        if (!Directory.Exists(Path.Combine(Folder, "node_modules", "@medplum", "fhir-router")))
        {
            throw new InvalidOperationException(
                "The independent FHIR server's node modules are missing: run `npm ci` in tests/IndependentFhir (tests/run.sh does it when they are missing).");
        }
        var adminToken = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        var start = new ProcessStartInfo("node", "server.js") { WorkingDirectory = Folder };
        start.Environment["PORT"] = "0";
        start.Environment["PAGE_SIZE"] = pageSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["ADMIN_TOKEN"] = adminToken;
        start.Environment["STATE_LIMIT"] = stateLimit ? "true" : "false";
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = KeptOutputProcess.Start(start, (line, _) =>
        {
            if (Listening().Match(line) is { Success: true } m)
                ready.TrySetResult(m.Groups[1].Value);
        });
        var exited = process.Process.WaitForExitAsync();
        var first = await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(90)));
        if (first != ready.Task)
        {
            var output = process.Output;
            await process.DisposeAsync();
            throw new InvalidOperationException("The independent FHIR server did not start: " + output);
        }
        return new IndependentServer(process, await ready.Task, adminToken);
    }

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+/fhir)")]
    private static partial Regex Listening();

    /// <summary>An HTTP client with the listener's admin token (loading charts, reading what the app wrote).</summary>
    public HttpClient Admin()
    {
        var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _adminToken);
        return client;
    }

    /// <summary>The sandbox (<paramref name="sandboxOrigin"/>) becomes this server's authorization server: SMART discovery names it, its tokens are accepted.</summary>
    public async Task AuthorizeWithAsync(string sandboxOrigin)
    {
        using var client = Admin();
        var origin = new Uri(Base).GetLeftPart(UriPartial.Authority);
        using var response = await client.PostAsync(origin + "/admin/authorization",
            new StringContent($"{{\"origin\":\"{sandboxOrigin}\"}}", Encoding.UTF8, "application/json"));
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"The listener did not take the authorization server: {(int)response.StatusCode} {_process.Output}");
    }

    /// <summary>Stores resources with their ids (FHIR update, Firely's client), as a hospital's chart would hold them.</summary>
    public async Task LoadAsync(IEnumerable<Resource> resources)
    {
        using var http = Admin();
        using var client = new FhirClient(Base, http, new FhirClientSettings { PreferredFormat = ResourceFormat.Json, VerifyFhirVersion = false });
        foreach (var resource in resources)
            await client.UpdateAsync(resource);
    }

    /// <summary>Every resource of <typeparamref name="T"/> the server holds (all pages).</summary>
    public async Task<List<T>> AllAsync<T>() where T : Resource, new()
    {
        using var http = Admin();
        using var client = new FhirClient(Base, http, new FhirClientSettings { PreferredFormat = ResourceFormat.Json, VerifyFhirVersion = false });
        var all = new List<T>();
        for (var page = await client.SearchAsync<T>([]); page is not null; page = await client.ContinueAsync(page))
            all.AddRange(page.Entry.Select(e => e.Resource).OfType<T>());
        return all;
    }

    /// <summary>What the server wrote on its output (to say why a test failed).</summary>
    public string Output => _process.Output;

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
