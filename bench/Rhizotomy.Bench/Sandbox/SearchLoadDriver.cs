using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sandbox.Ehr;
using Sandbox.Ehr.Auth;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.Bench.Sandbox;

/// <summary>
/// Load driver for the sandbox FHIR server's patient searches over real HTTP on loopback:
/// loads N patients with 50 Conditions and 5 Procedures each (transactions), then measures
/// <c>Condition?patient=X</c> and <c>Procedure?patient=X</c> latency (p50/p95, one client) and
/// throughput (several clients), for each N, so the figures show whether search cost grows with
/// other patients' data.
/// <code>dotnet run -c Release --project bench/Rhizotomy.Bench -- sandbox-search [--patients 100,1000] [--requests 2000] [--clients 4] [--storage file|memory]</code>
/// </summary>
public static class SearchLoadDriver
{
    private const int ConditionsPerPatient = 50;
    private const int ProceduresPerPatient = 5;
    private static readonly FhirJsonSerializer Serializer = new();

    public static async Task<int> RunAsync(string[] args)
    {
        var sizes = Option(args, "--patients", "100,1000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
        var requests = int.Parse(Option(args, "--requests", "2000"), CultureInfo.InvariantCulture);
        var clients = int.Parse(Option(args, "--clients", "4"), CultureInfo.InvariantCulture);
        var storage = Option(args, "--storage", "file");
        Console.WriteLine($"Sandbox search load: {ConditionsPerPatient} Conditions + {ProceduresPerPatient} Procedures per patient, {requests} searches per query, {clients} clients for throughput, storage={storage}");
        Console.WriteLine($"{Environment.ProcessorCount} cores, .NET {Environment.Version}");
        var rows = new List<string>();
        foreach (var patients in sizes)
        {
            rows.AddRange(await MeasureAsync(patients, requests, clients, storage));
        }
        Console.WriteLine();
        Console.WriteLine("| patients | resources | load (s) | query | p50 (ms) | p95 (ms) | throughput (req/s) |");
        Console.WriteLine("|---:|---:|---:|---|---:|---:|---:|");
        rows.ForEach(Console.WriteLine);
        return 0;
    }

    private static async Task<List<string>> MeasureAsync(int patients, int requests, int clients, string storage)
    {
        var folder = Directory.CreateTempSubdirectory("sandbox-bench-").FullName;
        try
        {
            var app = SandboxHost.Build(
                ["--urls=http://127.0.0.1:0", $"--Sandbox:Storage={storage}", $"--Sandbox:DataFolder={folder}", "--Sandbox:Reseed=true", "--Sandbox:Seed=false"],
                builder =>
                {
                    builder.Services.AddSingleton<IStartupFilter>(new BenchAccessStartupFilter());
                    builder.Logging.SetMinimumLevel(LogLevel.Warning);
                });
            await app.StartAsync();
            try
            {
                var origin = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
                using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients * 2 }) { BaseAddress = origin, Timeout = TimeSpan.FromMinutes(5) };

                var load = Stopwatch.StartNew();
                for (var p = 0; p < patients; p++)
                {
                    await SendAsync(http, HttpMethod.Post, "/fhir", Chart(p));
                }
                load.Stop();
                var resources = patients * (1 + ConditionsPerPatient + ProceduresPerPatient);
                Console.WriteLine($"{patients} patients: loaded {resources} resources in {load.Elapsed.TotalSeconds:F1} s ({resources / load.Elapsed.TotalSeconds:F0} resources/s)");

                // Sanity: a search returns exactly that patient's data.
                var check = await SendAsync(http, HttpMethod.Get, $"/fhir/Condition?patient=bench-{patients / 2}&_summary=count", null);
                if (!check.Contains($"\"total\":{ConditionsPerPatient}", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException("The Condition search did not return the patient's 50 Conditions: " + check);
                }

                var rows = new List<string>();
                foreach (var type in new[] { "Condition", "Procedure" })
                {
                    var random = new Random(7);
                    string NextUrl() => $"/fhir/{type}?patient=bench-{random.Next(patients)}&_count=100";
                    for (var i = 0; i < Math.Min(200, requests); i++)
                    {
                        await SendAsync(http, HttpMethod.Get, NextUrl(), null);
                    }
                    var latencies = new List<double>(requests);
                    for (var i = 0; i < requests; i++)
                    {
                        var clock = Stopwatch.StartNew();
                        await SendAsync(http, HttpMethod.Get, NextUrl(), null);
                        latencies.Add(clock.Elapsed.TotalMilliseconds);
                    }
                    latencies.Sort();
                    var urls = Enumerable.Range(0, requests).Select(_ => NextUrl()).ToArray();
                    var next = -1;
                    var wall = Stopwatch.StartNew();
                    await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
                    {
                        int i;
                        while ((i = Interlocked.Increment(ref next)) < urls.Length)
                        {
                            await SendAsync(http, HttpMethod.Get, urls[i], null);
                        }
                    }));
                    wall.Stop();
                    rows.Add(string.Create(CultureInfo.InvariantCulture,
                        $"| {patients} | {resources} | {load.Elapsed.TotalSeconds:F1} | `{type}?patient=X` | {Percentile(latencies, 0.50):F2} | {Percentile(latencies, 0.95):F2} | {requests / wall.Elapsed.TotalSeconds:F0} |"));
                    Console.WriteLine(rows[^1]);
                }
                return rows;
            }
            finally
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Bundle Chart(int index)
    {
        var patientId = "bench-" + index.ToString(CultureInfo.InvariantCulture);
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            Resource = new Patient { Id = patientId, Name = [new HumanName { Family = "Bench" + index.ToString(CultureInfo.InvariantCulture), Given = ["Synthetic"] }], BirthDate = "1970-01-01" },
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = "Patient/" + patientId },
        });
        for (var c = 0; c < ConditionsPerPatient; c++)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = new Condition
                {
                    Subject = new ResourceReference("Patient/" + patientId),
                    Code = new CodeableConcept("http://hl7.org/fhir/sid/icd-10-cm", c % 2 == 0 ? "G44.209" : "M54.81", "Synthetic diagnosis"),
                    ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
                    Onset = new FhirDateTime(2000 + (c % 24), 1 + (c % 12), 1),
                },
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Condition" },
            });
        }
        for (var p = 0; p < ProceduresPerPatient; p++)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = new Procedure
                {
                    Status = EventStatus.Completed,
                    Subject = new ResourceReference("Patient/" + patientId),
                    Code = new CodeableConcept("http://snomed.info/sct", "1290001", "Synthetic procedure"),
                    Performed = new FhirDateTime(2020, 1 + p, 1),
                },
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Procedure" },
            });
        }
        return bundle;
    }

    private static async Task<string> SendAsync(HttpClient http, HttpMethod method, string url, Resource? body)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(Serializer.SerializeToString(body), Encoding.UTF8, "application/fhir+json");
        }
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"{method} {url} answered {(int)response.StatusCode}");
        }
        return text;
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static string Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }

    /// <summary>Fake access for load measurement only: every request gets <c>user/*.*</c> (no token is issued or checked).</summary>
    private sealed class BenchAccessStartupFilter : IStartupFilter
    {
        private static readonly SmartAccess Access = new("bench", ["user/*.*"], null, null, null);

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                http.Features.Set(Access);
                return nextMiddleware(http);
            });
            next(app);
        };
    }
}
