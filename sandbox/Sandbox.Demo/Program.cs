// One command for the whole product on this machine: the sandbox EHR on 127.0.0.1:5080 and the app
// on 127.0.0.1:5090, wired to each other. Open http://127.0.0.1:5080/launcher and launch the app.
using Rhizotomy.App;
using Sandbox.Ehr;

const string SandboxOrigin = "http://127.0.0.1:5080";
const string AppOrigin = "http://127.0.0.1:5090";
var dataFolder = Path.Combine(AppContext.BaseDirectory, "demo-data");

// Each host finds its settings here rather than in its own project's appsettings.json (the content
// root is this project); command-line arguments still override them.
var sandbox = SandboxHost.Build(args, builder =>
{
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Sandbox:PublicOrigin"] = SandboxOrigin,
        ["Sandbox:DataFolder"] = Path.Combine(dataFolder, "sandbox"),
    });
    builder.Configuration.AddCommandLine(args);
    builder.WebHost.UseUrls(SandboxOrigin);
});

var app = AppHost.Build(args, builder =>
{
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["App:PublicOrigin"] = AppOrigin,
        ["App:DataProtectionKeys"] = Path.Combine(dataFolder, "app-keys"),
        ["App:Ehrs:0:Issuer"] = SandboxOrigin + "/fhir",
        ["App:Ehrs:0:ClientId"] = "rhizotomy-app",
        ["App:Ehrs:0:AuthMethod"] = "Public",
        ["App:Ehrs:0:FrameAncestors:0"] = SandboxOrigin,
    });
    builder.Configuration.AddCommandLine(args);
    builder.WebHost.UseUrls(AppOrigin);
});

await sandbox.StartAsync();
await app.StartAsync();
Console.WriteLine($"Sandbox EHR: {SandboxOrigin}/launcher   App: {AppOrigin}   (Ctrl+C stops both)");

await Task.WhenAll(sandbox.WaitForShutdownAsync(), app.WaitForShutdownAsync());
