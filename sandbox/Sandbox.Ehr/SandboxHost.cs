using Sandbox.Ehr.Auth;
using Sandbox.Ehr.Fhir;
using Sandbox.Ehr.Launcher;

namespace Sandbox.Ehr;

/// <summary>
/// Builds the sandbox EHR. Kept apart from <c>Program</c> so that tests and the one-command demo
/// can host it on a real loopback port beside the app.
/// </summary>
public static class SandboxHost
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);

        builder.AddFhirServer();
        builder.AddSmartAuthorization();
        builder.AddLauncher();

        var app = builder.Build();

        app.UseSmartAuthorization();

        app.MapFhirServer();
        app.MapSmartAuthorization();
        app.MapLauncher();
        app.MapGet("/", () => Results.Redirect("/launcher"));

        return app;
    }
}
