using Rhizotomy.Tests.Shared;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Builder;
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
        var appPort = FreePort();
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
        await Seed(sandbox.Services.GetRequiredService<IFhirStore>());

        using var app = Process.Start(new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                appDll, "--urls", appOrigin,
                "--App:PublicOrigin", appOrigin,
                "--App:DataProtectionKeys", Path.Combine(folder, "app-keys"),
                "--App:Ehrs:0:Issuer", sandboxOrigin + "/fhir",
                "--App:Ehrs:0:ClientId", ClientId,
                "--App:Ehrs:0:AuthMethod", "Public",
                "--Serilog:MinimumLevel:Default", "Warning",
            },
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        app.OutputDataReceived += (_, _) => { };
        app.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("app: " + e.Data); };
        app.BeginOutputReadLine();
        app.BeginErrorReadLine();

        try
        {
            await WaitForAsync(new Uri(appOrigin + "/health/ready"));
            Console.WriteLine($"Launch load: {launches} EHR launches (+{warmup} warm-up), sandbox FHIR latency +{latency} ms, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
            for (var i = 0; i < warmup; i++)
                await LaunchOnceAsync(sandboxOrigin, appOrigin);

            app.Refresh();
            var cpuBefore = app.TotalProcessorTime;
            var results = new List<(double CallbackToPageMs, double TotalMs, int FhirRoundTrips, int OAuthRoundTrips)>();
            var wall = Stopwatch.StartNew();
            for (var i = 0; i < launches; i++)
                results.Add(await LaunchOnceAsync(sandboxOrigin, appOrigin));
            wall.Stop();
            app.Refresh();
            var cpu = app.TotalProcessorTime - cpuBefore;

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
            if (!app.HasExited)
            {
                app.Kill();
                await app.WaitForExitAsync();
            }
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
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true });
        var started = Stopwatch.GetTimestamp();
        var next = new Uri($"{sandboxOrigin}/launcher/launch?practitioner=bench-surgeon&patient={Patient}&encounter={Patient}-surgery&app={Uri.EscapeDataString(appOrigin + "/launch")}");
        long callbackAt = 0;
        for (var hop = 0; hop < 10; hop++)
        {
            if (next.AbsolutePath == "/callback")
                callbackAt = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(next);
            if (response.StatusCode == HttpStatusCode.OK && next.AbsolutePath.StartsWith("/s/", StringComparison.Ordinal))
            {
                await response.Content.ReadAsStringAsync();
                var pageDone = Stopwatch.GetTimestamp();
                using var context = JsonDocument.Parse(await http.GetStringAsync(new Uri(appOrigin + "/api/context")));
                var fhir = context.RootElement.GetProperty("chart").GetProperty("roundTrips").GetInt32();
                return (Stopwatch.GetElapsedTime(callbackAt, pageDone).TotalMilliseconds, Stopwatch.GetElapsedTime(started, pageDone).TotalMilliseconds, fhir, 1);
            }
            var location = response.Headers.Location ?? throw new InvalidOperationException($"Launch stopped at {next.AbsolutePath} with HTTP {(int)response.StatusCode}.");
            next = location.IsAbsoluteUri ? location : new Uri(next, location);
        }
        throw new InvalidOperationException("The launch did not reach the app's page.");
    }

    private static async Task Seed(IFhirStore store)
    {
        var p = new ResourceReference("Patient/" + Patient);
        Resource[] chart =
        [
            new Patient { Id = Patient, Name = [new HumanName { Family = "Bench", Given = ["Classic"] }], BirthDate = "1979-02-03" },
            new Practitioner { Id = "bench-surgeon", Name = [new HumanName { Family = "Surgeon", Given = ["Bench"] }] },
            new Encounter { Id = Patient + "-surgery", Status = Encounter.EncounterStatus.Planned, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"), Subject = p },
            new Condition { Id = Patient + "-on", Subject = p, Code = new CodeableConcept(Known.Systems.Icd10Cm, "M54.81", "Occipital neuralgia"), BodySite = [new CodeableConcept(Known.Systems.Snomed, Known.Snomed.Left)], Onset = new FhirDateTime("2022-03") },
            new Procedure { Id = Patient + "-block", Status = EventStatus.Completed, Subject = p, Code = new CodeableConcept(Known.ProjectCodeSystem, Known.Codes.OccipitalNerveBlock), BodySite = [new CodeableConcept(Known.Systems.Snomed, Known.Snomed.Left)], Performed = new FhirDateTime("2024-01-15"), Outcome = new CodeableConcept { Text = "80% relief" } },
            new DiagnosticReport { Id = Patient + "-mri", Status = DiagnosticReport.DiagnosticReportStatus.Final, Subject = p, Code = new CodeableConcept { Text = "MRI cervical spine" }, Effective = new FhirDateTime("2023-06-01") },
            new MedicationStatement { Id = Patient + "-gaba", Status = MedicationStatement.MedicationStatusCodes.Stopped, Subject = p, Medication = new CodeableConcept { Text = "Gabapentin" } },
        ];
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        foreach (var r in chart)
            bundle.Entry.Add(new Bundle.EntryComponent { Resource = r, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"{r.TypeName}/{r.Id}" } });
        await store.TransactionAsync(bundle);
    }

    private static async Task WaitForAsync(Uri health)
    {
        using var http = new HttpClient();
        for (var i = 0; i < 600; i++)
        {
            try
            {
                if ((await http.GetAsync(health)).IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException("The app did not start.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static string Option(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
