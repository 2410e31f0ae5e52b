using Rhizotomy.Tests.Shared;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rhizotomy.Core.Clinical;
using Sandbox.Ehr;
using Sandbox.Ehr.Fhir;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.Bench.Launch;

/// <summary>
/// Load driver for the app's launch: the sandbox EHR in this process (with added FHIR latency),
/// the app as its own process (so its CPU time can be read), and N complete EHR launches over real
/// loopback HTTP, each as a new browser. Reports round trips per launch, time from the callback
/// request to the end of the first page (p50/p95), and the app's CPU time per launch.
/// <code>dotnet run -c Release --project bench/Rhizotomy.Bench -- launch [--launches 200] [--latency-ms 50] [--warmup 10]</code>
/// </summary>
public static class LaunchLoadDriver
{
    private const string ClientId = "rhizotomy-bench";
    private const string Patient = "bench-classic-left";

    public static async Task<int> RunAsync(string[] args)
    {
        var launches = int.Parse(Option(args, "--launches", "200"), CultureInfo.InvariantCulture);
        var latency = int.Parse(Option(args, "--latency-ms", "50"), CultureInfo.InvariantCulture);
        var warmup = int.Parse(Option(args, "--warmup", "10"), CultureInfo.InvariantCulture);
        var appDll = Path.Combine(AppContext.BaseDirectory, "Rhizotomy.App.dll");
        if (!File.Exists(appDll))
        {
            Console.Error.WriteLine($"Rhizotomy.App.dll not found beside the driver ({AppContext.BaseDirectory}).");
            return 1;
        }

        var folder = Directory.CreateTempSubdirectory("launch-bench-").FullName;
        var appPort = Loopback.FreePort();
        var appOrigin = $"http://127.0.0.1:{appPort}";
        var sandbox = SandboxHost.Build(["--urls=http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Sandbox:Storage"] = "memory",
                ["Sandbox:DataFolder"] = folder,
                ["Sandbox:Faults:LatencyMs"] = latency.ToString(CultureInfo.InvariantCulture),
            });
            builder.Configuration.AddInMemoryCollection(SandboxRegistration.PublicApp(ClientId, appOrigin));
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await sandbox.StartAsync();
        var sandboxOrigin = sandbox.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        await SeedAsync(sandbox.Services.GetRequiredService<IFhirStore>());

        var app = await ChildProcess.StartAsync("app", "Rhizotomy.App.dll", appOrigin, "/health/ready",
            AppSettings(appOrigin, sandboxOrigin, ClientId, folder));

        try
        {
            Console.WriteLine($"Launch load: {launches} EHR launches (+{warmup} warm-up), sandbox FHIR latency +{latency} ms, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
            for (var i = 0; i < warmup; i++)
                await LaunchOnceAsync(sandboxOrigin, appOrigin);

            app.Process.Refresh();
            var cpuBefore = app.Process.TotalProcessorTime;
            var results = new List<(double CallbackToPageMs, double TotalMs, int FhirRoundTrips, int OAuthRoundTrips)>();
            var wall = Stopwatch.StartNew();
            for (var i = 0; i < launches; i++)
                results.Add(await LaunchOnceAsync(sandboxOrigin, appOrigin));
            wall.Stop();
            app.Process.Refresh();
            var cpu = app.Process.TotalProcessorTime - cpuBefore;

            var page = results.Select(r => r.CallbackToPageMs).Order().ToList();
            var total = results.Select(r => r.TotalMs).Order().ToList();
            Console.WriteLine();
            Console.WriteLine("| figure | value |");
            Console.WriteLine("|---|---:|");
            Console.WriteLine($"| launches | {launches} |");
            Console.WriteLine($"| FHIR round trips per launch (chart wave) | {results.Average(r => r.FhirRoundTrips):F1} |");
            Console.WriteLine($"| OAuth round trips per launch by the app (token; discovery and JWKS cached) | {results.Average(r => r.OAuthRoundTrips):F1} |");
            Console.WriteLine($"| callback to page p50 (ms) | {Percentile(page, 0.50):F1} |");
            Console.WriteLine($"| callback to page p95 (ms) | {Percentile(page, 0.95):F1} |");
            Console.WriteLine($"| whole launch (launcher to page) p50 / p95 (ms) | {Percentile(total, 0.50):F1} / {Percentile(total, 0.95):F1} |");
            Console.WriteLine($"| app CPU time per launch (ms) | {cpu.TotalMilliseconds / launches:F2} |");
            Console.WriteLine($"| wall time (s) | {wall.Elapsed.TotalSeconds:F1} |");
            return 0;
        }
        finally
        {
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

    private static async Task<(double, double, int, int)> LaunchOnceAsync(string sandboxOrigin, string appOrigin)
    {
        // A new browser per launch: its own cookies and connections.
        using var http = BrowserLaunch.NewBrowser();
        var launch = await BrowserLaunch.WalkAsync(http, BrowserLaunch.LauncherUrl(sandboxOrigin, appOrigin, "bench-surgeon", Patient, Patient + "-surgery"), assets: false);
        using var context = JsonDocument.Parse(await http.GetStringAsync(new Uri(appOrigin + "/api/context")));
        var fhir = context.RootElement.GetProperty("chart").GetProperty("roundTrips").GetInt32();
        return (launch.CallbackToPageMs, launch.TotalMs, fhir, 1);
    }

    /// <summary>The app's command-line settings for a launch against the sandbox at <paramref name="sandboxOrigin"/> (a public client).</summary>
    internal static IEnumerable<KeyValuePair<string, string?>> AppSettings(string appOrigin, string sandboxOrigin, string clientId, string folder) =>
    [
        new("App:PublicOrigin", appOrigin),
        new("App:DataProtectionKeys", Path.Combine(folder, "app-keys")),
        new("App:Ehrs:0:Issuer", sandboxOrigin + "/fhir"),
        new("App:Ehrs:0:ClientId", clientId),
        new("App:Ehrs:0:AuthMethod", "Public"),
        new("App:Ehrs:0:Custodian", "Organization/bench-hospital"),
        new("Serilog:MinimumLevel:Default", "Warning"),
    ];

    /// <summary>The benchmark patient, coded as a production chart codes it (the block with CPT 64405).</summary>
    internal static async Task SeedAsync(IFhirStore store)
    {
        var p = new ResourceReference("Patient/" + Patient);
        Resource[] chart =
        [
            new Patient { Id = Patient, Name = [new HumanName { Family = "Bench", Given = ["Classic"] }], BirthDate = "1979-02-03" },
            new Practitioner { Id = "bench-surgeon", Name = [new HumanName { Family = "Surgeon", Given = ["Bench"] }] },
            new Encounter { Id = Patient + "-surgery", Status = Encounter.EncounterStatus.Planned, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"), Subject = p },
            new Condition { Id = Patient + "-on", Subject = p, Code = new CodeableConcept(Known.Systems.Icd10Cm, "M54.81", "Occipital neuralgia"), BodySite = [new CodeableConcept(Known.Systems.Snomed, Known.Snomed.Left)], Onset = new FhirDateTime("2022-03") },
            new Procedure { Id = Patient + "-block", Status = EventStatus.Completed, Subject = p, Code = new CodeableConcept(Known.Systems.Cpt, "64405", null, "Left greater occipital nerve block"), BodySite = [new CodeableConcept(Known.Systems.Snomed, Known.Snomed.Left)], Performed = new FhirDateTime("2024-01-15"), Outcome = new CodeableConcept { Text = "80% relief" } },
            new DiagnosticReport { Id = Patient + "-mri", Status = DiagnosticReport.DiagnosticReportStatus.Final, Subject = p, Code = new CodeableConcept { Text = "MRI cervical spine" }, Effective = new FhirDateTime("2023-06-01") },
            new MedicationStatement { Id = Patient + "-gaba", Status = MedicationStatement.MedicationStatusCodes.Stopped, Subject = p, Medication = new CodeableConcept { Text = "Gabapentin" } },
        ];
        await store.PutAllAsync(chart);
    }

    internal static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    internal static string Option(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
