using System.Globalization;
using System.Reflection;
using Rhizotomy.Tests.Shared;

namespace Rhizotomy.Bench.Launch;

/// <summary>
/// The first launch of a freshly started app: the sandbox EHR and the app as their own processes
/// (this output folder's build: run it with <c>-c Release</c>), then ONE complete EHR launch over
/// loopback HTTP as a browser walks it, timed from the <c>/callback</c> request to the case page;
/// repeated with a new app process each run. By default the EHR is warm, as a real one is: the
/// sandbox process has served one launch (of an app process thrown away) before the measured app
/// starts. <c>--cold-ehr</c> starts a new sandbox for every run too and warms nothing.
/// <code>dotnet run -c Release --project bench/Rhizotomy.Bench -- first-launch [--runs 5] [--patient classic-left] [--cold-ehr] [--no-warm-up] [--verbose] [--env NAME=VALUE ...]</code>
/// <c>--no-warm-up</c> turns the app's start-up warm-up off (<c>App:Warmup:Enabled=false</c>): the figure before it.
/// <c>--verbose</c> logs the measured app at Information and prints its log after each run (request times, chart read).
/// <c>--env</c> sets an environment variable of the app process (a runtime knob such as <c>DOTNET_TieredPGO=0</c>).
/// </summary>
public static class FirstLaunchDriver
{
    private const string ClientId = "rhizotomy-bench";
    private const string Practitioner = "surgeon-1";

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = int.Parse(LaunchLoadDriver.Option(args, "--runs", "5"), CultureInfo.InvariantCulture);
        var patient = LaunchLoadDriver.Option(args, "--patient", "classic-left");
        var coldEhr = args.Contains("--cold-ehr");
        var verbose = args.Contains("--verbose");
        var noWarmup = args.Contains("--no-warm-up");
        var environment = args.Select((a, i) => a == "--env" && i + 1 < args.Length ? args[i + 1].Split('=', 2) : null)
            .OfType<string[]>().Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
        var build = typeof(Rhizotomy.App.AppEntry).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration;
        if (build != "Release")
            Console.Error.WriteLine($"Warning: the app beside this driver is a {build} build; run with -c Release for figures.");

        var folder = Directory.CreateTempSubdirectory("first-launch-bench-").FullName;
        var appOrigin = $"http://127.0.0.1:{Loopback.FreePort()}";
        Console.WriteLine($"First launch of a fresh app process: {runs} runs, patient {patient}, EHR {(coldEhr ? "cold (a new sandbox process each run)" : "warm (one sandbox process that has served a launch)")}, app warm-up {(noWarmup ? "off" : "on")}, "
            + $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {build} build"
            + (environment.Count == 0 ? "" : ", app environment " + string.Join(' ', environment.Select(kv => kv.Key + "=" + kv.Value))));
        Console.WriteLine();
        Console.WriteLine("| run | app start to ready (ms) | callback to page (ms) | callback to page and its assets (ms) | whole launch (ms) |");
        Console.WriteLine("|---:|---:|---:|---:|---:|");

        ChildProcess? sandbox = null;
        var results = new List<(LaunchTiming Launch, double ReadyMs)>();
        try
        {
            for (var run = 1; run <= runs; run++)
            {
                if (sandbox is null || coldEhr)
                {
                    if (sandbox is not null)
                        await sandbox.DisposeAsync();
                    sandbox = await StartSandboxAsync(folder, appOrigin, run);
                    if (!coldEhr)
                    {
                        await using var thrownAway = await StartAppAsync(folder, appOrigin, sandbox, "warming", environment, verbose: false, noWarmup);
                        using var browser = BrowserLaunch.NewBrowser();
                        await BrowserLaunch.WalkAsync(browser, BrowserLaunch.LauncherUrl(sandbox.Origin, appOrigin, Practitioner, patient, null));
                    }
                }

                await using var app = await StartAppAsync(folder, appOrigin, sandbox, "run-" + run, environment, verbose, noWarmup);
                using (var browser = BrowserLaunch.NewBrowser())
                {
                    var launch = await BrowserLaunch.WalkAsync(browser, BrowserLaunch.LauncherUrl(sandbox.Origin, appOrigin, Practitioner, patient, null));
                    results.Add((launch, app.StartToReady.TotalMilliseconds));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {run} | {app.StartToReady.TotalMilliseconds:F0} | {launch.CallbackToPageMs:F0} | {launch.CallbackToAssetsMs:F0} | {launch.TotalMs:F0} |"));
                }
                // The warm-up says once how long it took (no data, no PHI): shown beside the figures.
                foreach (var line in app.Output.Split('\n').Where(l => verbose || l.Contains("warm-up", StringComparison.OrdinalIgnoreCase)))
                    Console.Error.WriteLine("  app: " + line.Trim());
            }
        }
        finally
        {
            if (sandbox is not null)
                await sandbox.DisposeAsync();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        var page = results.Select(r => r.Launch.CallbackToPageMs).Order().ToList();
        var assets = results.Select(r => r.Launch.CallbackToAssetsMs).Order().ToList();
        var ready = results.Select(r => r.ReadyMs).Order().ToList();
        Console.WriteLine();
        Console.WriteLine("| figure | p50 | max |");
        Console.WriteLine("|---|---:|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| callback to page (ms) | {LaunchLoadDriver.Percentile(page, 0.5):F0} | {page[^1]:F0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| callback to page and its assets (ms) | {LaunchLoadDriver.Percentile(assets, 0.5):F0} | {assets[^1]:F0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| app start to ready (ms) | {LaunchLoadDriver.Percentile(ready, 0.5):F0} | {ready[^1]:F0} |"));
        return 0;
    }

    private static Task<ChildProcess> StartSandboxAsync(string folder, string appOrigin, int run) =>
        Loopback.OnFreePortAsync(port =>
        {
            var data = Path.Combine(folder, "sandbox-" + run);
            Directory.CreateDirectory(data);
            var settings = new Dictionary<string, string?>
            {
                ["Sandbox:Storage"] = "memory",
                ["Sandbox:DataFolder"] = data,
                ["Serilog:MinimumLevel:Default"] = "Warning",
            };
            foreach (var (key, value) in SandboxRegistration.PublicApp(ClientId, appOrigin))
                settings[key] = value;
            return ChildProcess.StartAsync("sandbox", "Sandbox.Ehr.dll", $"http://127.0.0.1:{port}", "/fhir/metadata", settings);
        });

    private static Task<ChildProcess> StartAppAsync(string folder, string appOrigin, ChildProcess sandbox, string name, IReadOnlyDictionary<string, string> environment, bool verbose, bool noWarmup)
    {
        var data = Path.Combine(folder, "app-" + name);
        var settings = LaunchLoadDriver.AppSettings(appOrigin, sandbox.Origin, ClientId, data).ToList();
        settings.Add(new("App:WriteBack:ConnectionString", "Data Source=" + Path.Combine(data, "outbox.db")));
        settings.Add(new("Serilog:MinimumLevel:Override:Rhizotomy.App.Warmup", "Information"));
        if (noWarmup)
            settings.Add(new("App:Warmup:Enabled", "false"));
        if (verbose)
            settings.Add(new("Serilog:MinimumLevel:Default", "Information"));
        Directory.CreateDirectory(data);
        return ChildProcess.StartAsync("app", "Rhizotomy.App.dll", appOrigin, "/health/ready", settings, environment);
    }
}
