// One command for the whole product on this machine: the sandbox EHR and the app, wired to each other.
// Settings: each host starts from its own project's appsettings.json (copied beside this program), so the
// demo cannot drift from what the app and the sandbox run with alone; the demo only points them at each
// other (origins from the ports) and at its data folder. Command-line arguments override everything.
//   --sandbox-port N  (Demo:SandboxPort; default: the port of App:Ehrs:0:Issuer in the app's settings, 5080)
//   --app-port N      (Demo:AppPort; default: the port of App:PublicOrigin in the app's settings, 5090)
//   --data-folder F   (Demo:DataFolder; default data/demo, relative to where it runs: `dotnet run` runs it
//                      from the repository root, whose /data/ git ignores)
using Rhizotomy.App;
using Sandbox.Ehr;

var settings = Path.Combine(AppContext.BaseDirectory, "settings");
var appSettings = Path.Combine(settings, "app.appsettings.json");
var sandboxSettings = Path.Combine(settings, "sandbox.appsettings.json");

var demo = new ConfigurationBuilder()
    .AddJsonFile(appSettings)
    .AddEnvironmentVariables()
    .AddCommandLine(args, new Dictionary<string, string>
    {
        ["--sandbox-port"] = "Demo:SandboxPort",
        ["--app-port"] = "Demo:AppPort",
        ["--data-folder"] = "Demo:DataFolder",
    })
    .Build();

var sandboxPort = Port(demo, "Demo:SandboxPort", demo["App:Ehrs:0:Issuer"]);
var appPort = Port(demo, "Demo:AppPort", demo["App:PublicOrigin"]);
if (sandboxPort is null || appPort is null)
    return StartupSettings.ExitCode;
var sandboxOrigin = $"http://127.0.0.1:{sandboxPort}";
var appOrigin = $"http://127.0.0.1:{appPort}";
var dataFolder = Path.GetFullPath(demo["Demo:DataFolder"] is { Length: > 0 } folder ? folder : Path.Combine("data", "demo"));
Directory.CreateDirectory(dataFolder);
// The demo's own switches are not the hosts' settings.
string[] hostArgs = [.. DropDemoSwitches(args)];

return await StartupSettings.RunAsync(() =>
[
    SandboxHost.Build(hostArgs, builder =>
    {
        builder.Configuration.AddJsonFile(sandboxSettings);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sandbox:PublicOrigin"] = sandboxOrigin,
            ["Sandbox:AppOrigin"] = appOrigin,
            ["Sandbox:DataFolder"] = Path.Combine(dataFolder, "sandbox"),
            // The corpus charts too, so a surgeon can launch them (the command line can turn it off).
            ["Sandbox:Seed:Corpus"] = "true",
        });
        builder.Configuration.AddCommandLine(hostArgs);
        builder.WebHost.UseUrls(sandboxOrigin);
    }),
    AppHost.Build(hostArgs, builder =>
    {
        builder.Configuration.AddJsonFile(appSettings);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["App:PublicOrigin"] = appOrigin,
            ["App:Ehrs:0:Issuer"] = sandboxOrigin + "/fhir",
            ["App:Ehrs:0:FrameAncestors:0"] = sandboxOrigin,
            ["App:DataProtectionKeys"] = Path.Combine(dataFolder, "app-keys"),
            ["App:WriteBack:ConnectionString"] = "Data Source=" + Path.Combine(dataFolder, "outbox.db"),
        });
        builder.Configuration.AddCommandLine(hostArgs);
        builder.WebHost.UseUrls(appOrigin);
    }),
], $"Sandbox EHR: {sandboxOrigin}/launcher   App: {appOrigin}   Data: {dataFolder}   (Ctrl+C stops both)",
    e => e is Sandbox.Ehr.Hosting.SandboxSettingsException ? e.Message : null);

static int? Port(IConfiguration config, string key, string? defaultFrom)
{
    var value = config[key];
    if (value is { Length: > 0 })
    {
        if (int.TryParse(value, out var port) && port is > 0 and < 65536)
            return port;
        Console.Error.WriteLine($"Setting error: {key} is '{value}': put a TCP port between 1 and 65535.");
        return null;
    }
    if (Uri.TryCreate(defaultFrom, UriKind.Absolute, out var uri))
        return uri.Port;
    Console.Error.WriteLine($"Setting error: {key} is not set and the app's settings name no origin to take it from: put a TCP port.");
    return null;
}

static IEnumerable<string> DropDemoSwitches(string[] args)
{
    for (var i = 0; i < args.Length; i++)
    {
        var name = args[i].Split('=')[0];
        if (name is "--sandbox-port" or "--app-port" or "--data-folder")
        {
            if (!args[i].Contains('=', StringComparison.Ordinal))
                i++;
            continue;
        }
        yield return args[i];
    }
}
