using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rhizotomy.App.Launch;
using Rhizotomy.Tests.Shared;
using Sandbox.Ehr;
using Sandbox.Ehr.Fhir;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.Bench.Launch;

/// <summary>
/// The app's launch against a minimal reference client, side by side, at several concurrencies (issue 18, point 5).
/// The sandbox EHR runs in this process with the same added latency on every path (launcher, authorize, token and
/// FHIR alike); the app runs as its own process (its CPU time is read from the process).
/// <list type="bullet">
/// <item>The app: complete browser-like EHR launches (a new cookie jar each), timed from sending <c>/callback</c> to the
/// last byte of the case page: the token exchange, the chart's parallel read wave, the evidence and the page.</item>
/// <item>The reference client: only what SMART requires. It is launched by the same launcher, authorizes with the same
/// scopes and PKCE, and is timed from holding the code to the end of its token exchange and one parallel wave of the same
/// reads the app makes (Patient, Practitioner, Encounter, and the six patient searches, next pages followed).</item>
/// </list>
/// At each concurrency the two alternate in rounds (app wave, reference wave, app wave, ...), so drift in the machine
/// hits both. Printed per concurrency: p50 and p95 of both, the ratio of the p95s, the app's CPU time per launch and
/// its throughput, with the load average at the time.
/// <code>dotnet run -c Release --project bench/Rhizotomy.Bench -- side-by-side [--levels 1,10,50,100] [--launches 200] [--latency-ms 50] [--warmup 20]</code>
/// </summary>
public static class SideBySideDriver
{
    private const string AppClient = "rhizotomy-bench";
    private const string ReferenceClientId = "reference-client";
    private const string ReferenceOrigin = "http://127.0.0.1:9";
    private const string Patient = "bench-classic-left";

    public static async Task<int> RunAsync(string[] args)
    {
        var levels = LaunchLoadDriver.Option(args, "--levels", "1,10,50,100").Split(',').Select(l => int.Parse(l, CultureInfo.InvariantCulture)).ToArray();
        var launches = int.Parse(LaunchLoadDriver.Option(args, "--launches", "200"), CultureInfo.InvariantCulture);
        var latency = int.Parse(LaunchLoadDriver.Option(args, "--latency-ms", "50"), CultureInfo.InvariantCulture);
        var warmup = int.Parse(LaunchLoadDriver.Option(args, "--warmup", "20"), CultureInfo.InvariantCulture);

        var folder = Directory.CreateTempSubdirectory("side-by-side-").FullName;
        var appOrigin = $"http://127.0.0.1:{Loopback.FreePort()}";
        var sandbox = SandboxHost.Build(["--urls=http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Sandbox:Storage"] = "memory",
                ["Sandbox:DataFolder"] = folder,
                ["Sandbox:Faults:LatencyMs"] = latency.ToString(CultureInfo.InvariantCulture),
                ["Sandbox:Faults:LatencyPath"] = "/",
            });
            builder.Configuration.AddInMemoryCollection(SandboxRegistration.PublicApp(AppClient, appOrigin));
            builder.Configuration.AddInMemoryCollection(SandboxRegistration.PublicApp(ReferenceClientId, ReferenceOrigin)
                .ToDictionary(kv => kv.Key.Replace("Clients:0:", "Clients:1:", StringComparison.Ordinal), kv => kv.Value));
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await sandbox.StartAsync();
        var sandboxOrigin = sandbox.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        await LaunchLoadDriver.SeedAsync(sandbox.Services.GetRequiredService<IFhirStore>());

        var started = Stopwatch.GetTimestamp();
        var app = await ChildProcess.StartAsync("app", "Rhizotomy.App.dll", appOrigin, "/health/ready",
            LaunchLoadDriver.AppSettings(appOrigin, sandboxOrigin, AppClient, folder));
        var reference = new ReferenceClient(sandboxOrigin);
        try
        {
            Console.WriteLine($"Side by side: the app against a minimal SMART client; {launches} launches of each per concurrency, +{latency} ms on every EHR path, "
                + $"{Environment.ProcessorCount} cores, .NET {Environment.Version}; app ready {app.StartToReady.TotalMilliseconds:F0} ms after its start");

            // The first launches after start, on their own: what the JIT and the first connections cost.
            app.Process.Refresh();
            var cpuAtStart = app.Process.TotalProcessorTime;
            Console.WriteLine($"App idle RSS after start: {app.Process.WorkingSet64 / 1048576.0:F0} MB");
            var first = new List<double>();
            for (var i = 0; i < Math.Max(1, warmup); i++)
                first.Add((await AppLaunchAsync(sandboxOrigin, appOrigin)).CallbackToPageMs);
            app.Process.Refresh();
            Console.WriteLine($"First {first.Count} launches (sequential): callback to page first {first[0]:F0} ms, median {Median(first):F0} ms; "
                + $"app CPU {(app.Process.TotalProcessorTime - cpuAtStart).TotalMilliseconds / first.Count:F1} ms per launch");
            for (var i = 0; i < 3; i++)
                await reference.LaunchAsync();

            Console.WriteLine();
            Console.WriteLine("| concurrency | app p50 (ms) | app p95 (ms) | reference p50 (ms) | reference p95 (ms) | p95 ratio app/reference | app CPU per launch (ms) | app launches/s | load average (1 min) |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var level in levels)
            {
                var rounds = Math.Max(1, launches / level);
                var appTimes = new ConcurrentBag<double>();
                var refTimes = new ConcurrentBag<double>();
                var appCpu = TimeSpan.Zero;
                var appWall = TimeSpan.Zero;
                for (var round = 0; round < rounds; round++)
                {
                    app.Process.Refresh();
                    var cpu = app.Process.TotalProcessorTime;
                    var wall = Stopwatch.StartNew();
                    await Task.WhenAll(Enumerable.Range(0, level).Select(async _ => appTimes.Add((await AppLaunchAsync(sandboxOrigin, appOrigin)).CallbackToPageMs)));
                    appWall += wall.Elapsed;
                    app.Process.Refresh();
                    appCpu += app.Process.TotalProcessorTime - cpu;
                    await Task.WhenAll(Enumerable.Range(0, level).Select(async _ => refTimes.Add(await reference.LaunchAsync())));
                }
                var a = appTimes.Order().ToList();
                var r = refTimes.Order().ToList();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {level} | {P(a, 0.5):F1} | {P(a, 0.95):F1} | {P(r, 0.5):F1} | {P(r, 0.95):F1} | {P(a, 0.95) / P(r, 0.95):F2} | {appCpu.TotalMilliseconds / a.Count:F2} | {a.Count / appWall.TotalSeconds:F1} | {LoadAverage()} |"));
            }

            // Sessions stay alive for their lifetime: the app's memory with all of them live, against the idle figure.
            app.Process.Refresh();
            Console.WriteLine();
            Console.WriteLine($"App RSS after the run (all sessions live): {app.Process.WorkingSet64 / 1048576.0:F0} MB; "
                + $"{Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s since the app started");
            return 0;
        }
        finally
        {
            reference.Dispose();
            await app.DisposeAsync();
            await sandbox.StopAsync();
            await sandbox.DisposeAsync();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<LaunchTiming> AppLaunchAsync(string sandboxOrigin, string appOrigin)
    {
        using var browser = BrowserLaunch.NewBrowser();
        return await BrowserLaunch.WalkAsync(browser, BrowserLaunch.LauncherUrl(sandboxOrigin, appOrigin, "bench-surgeon", Patient, Patient + "-surgery"), assets: false);
    }

    private static double P(List<double> sorted, double p) => LaunchLoadDriver.Percentile(sorted, p);

    private static double Median(List<double> values) => P([.. values.Order()], 0.5);

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    /// <summary>
    /// A SMART client that does only what the specification requires: launch, authorize with PKCE, exchange the code, read.
    /// Its reads are the app's chart wave, sent at once on one connection pool.
    /// </summary>
    private sealed class ReferenceClient(string sandboxOrigin) : IDisposable
    {
        private readonly string _issuer = sandboxOrigin + "/fhir";
        private readonly HttpClient _api = new(new SocketsHttpHandler { AllowAutoRedirect = false, MaxConnectionsPerServer = 1000 });
        private string? _authorize;
        private string? _token;

        public void Dispose() => _api.Dispose();

        /// <summary>One launch; returns the time from holding the code to the end of the read wave (ms).</summary>
        public async Task<double> LaunchAsync()
        {
            if (_authorize is null || _token is null)
            {
                using var discovery = JsonDocument.Parse(await _api.GetStringAsync(new Uri(_issuer + "/.well-known/smart-configuration")));
                _authorize = discovery.RootElement.GetProperty("authorization_endpoint").GetString();
                _token = discovery.RootElement.GetProperty("token_endpoint").GetString();
            }

            using var browser = BrowserLaunch.NewBrowser();
            // The EHR launches the client: its launch URL carries iss and launch.
            var next = BrowserLaunch.LauncherUrl(sandboxOrigin, ReferenceOrigin, "bench-surgeon", Patient, Patient + "-surgery");
            string? launch = null;
            for (var hop = 0; hop < 10 && launch is null; hop++)
            {
                using var response = await browser.GetAsync(next);
                next = Follow(next, response);
                if (next.GetLeftPart(UriPartial.Path) == ReferenceOrigin + "/launch")
                    launch = Query(next, "launch");
            }
            var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
            var state = Base64Url(RandomNumberGenerator.GetBytes(16));
            var query = new Dictionary<string, string>
            {
                ["response_type"] = "code", ["client_id"] = ReferenceClientId, ["redirect_uri"] = ReferenceOrigin + "/callback",
                ["scope"] = string.Join(' ', Scopes.Read.Concat(Scopes.Write)), ["state"] = state, ["aud"] = _issuer,
                ["launch"] = launch ?? throw new InvalidOperationException("The launcher did not launch the reference client."),
                ["code_challenge"] = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))), ["code_challenge_method"] = "S256",
            };
            next = new Uri(_authorize + "?" + string.Join('&', query.Select(kv => kv.Key + "=" + Uri.EscapeDataString(kv.Value))));
            string? code = null;
            for (var hop = 0; hop < 10 && code is null; hop++)
            {
                using var response = await browser.GetAsync(next);
                next = Follow(next, response);
                if (next.GetLeftPart(UriPartial.Path) == ReferenceOrigin + "/callback")
                    code = Query(next, "code");
            }

            var timer = Stopwatch.StartNew();
            using var tokenResponse = await _api.PostAsync(new Uri(_token!), new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code", ["code"] = code ?? throw new InvalidOperationException("No code for the reference client."),
                ["redirect_uri"] = ReferenceOrigin + "/callback", ["client_id"] = ReferenceClientId, ["code_verifier"] = verifier,
            }));
            tokenResponse.EnsureSuccessStatusCode();
            using var token = JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync());
            var access = token.RootElement.GetProperty("access_token").GetString()!;
            var patient = token.RootElement.GetProperty("patient").GetString()!;
            var encounter = token.RootElement.TryGetProperty("encounter", out var e) ? e.GetString() : null;
            var user = token.RootElement.TryGetProperty("id_token", out var id) ? FhirUser(id.GetString()!) : null;
            string[] reads =
            [
                $"Patient/{patient}", .. user is null ? Array.Empty<string>() : [user], .. encounter is null ? Array.Empty<string>() : [$"Encounter/{encounter}"],
                .. new[] { "Condition", "Procedure", "MedicationRequest", "MedicationStatement", "DiagnosticReport", "Observation" }
                    .Select(t => $"{t}?patient=Patient/{patient}&_count=100"),
            ];
            await Task.WhenAll(reads.Select(path => ReadAllAsync(new Uri(_issuer + "/" + path), access)));
            return timer.Elapsed.TotalMilliseconds;
        }

        private async Task ReadAllAsync(Uri url, string access)
        {
            for (Uri? next = url; next is not null;)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, next);
                request.Headers.Authorization = new("Bearer", access);
                request.Headers.Accept.ParseAdd("application/fhir+json");
                using var response = await _api.SendAsync(request);
                response.EnsureSuccessStatusCode();
                using var body = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
                next = null;
                if (body.RootElement.TryGetProperty("link", out var links))
                {
                    foreach (var link in links.EnumerateArray())
                    {
                        if (link.GetProperty("relation").GetString() == "next")
                            next = new Uri(link.GetProperty("url").GetString()!);
                    }
                }
            }
        }

        /// <summary>The id_token's <c>fhirUser</c>, made relative to the issuer (the token is the EHR's own, just received over its TLS).</summary>
        private string? FhirUser(string idToken)
        {
            var payload = idToken.Split('.')[1].Replace('-', '+').Replace('_', '/');
            using var claims = JsonDocument.Parse(Convert.FromBase64String(payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=')));
            return claims.RootElement.TryGetProperty("fhirUser", out var user) ? user.GetString()!.Replace(_issuer + "/", "", StringComparison.Ordinal) : null;
        }

        private static Uri Follow(Uri from, HttpResponseMessage response)
        {
            var location = response.Headers.Location
                ?? throw new InvalidOperationException($"The reference launch stopped at {from.AbsolutePath} with HTTP {(int)response.StatusCode}.");
            return location.IsAbsoluteUri ? location : new Uri(from, location);
        }

        private static string? Query(Uri uri, string name) =>
            uri.Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).Where(p => p[0] == name).Select(p => WebUtility.UrlDecode(p[1])).FirstOrDefault();

        private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
