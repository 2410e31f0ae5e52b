using Sandbox.Ehr.Auth;
using Sandbox.Ehr.Fhir;
using Sandbox.Ehr.Hosting;
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
        var builder = WebApplication.CreateBuilder(SandboxHosting.NormalizeArgs(args));
        configure?.Invoke(builder);
        builder.AddSandboxHostingDefaults();

        builder.AddFhirServer();
        builder.AddSmartAuthorization();
        builder.AddLauncher();

        var app = builder.Build();
        app.LogSandboxStart();
        app.UseSandboxErrorHandling();
        // Called here so it runs inside the error handler: left implicit, WebApplication puts it (and
        // OpenIddict's request parsing) in front of every middleware, where a failure escapes as a 500.
        app.UseAuthentication();

        app.UseSmartAuthorization();

        app.MapFhirServer();
        app.MapSmartAuthorization();
        app.MapLauncher();
        app.MapEmbedPage();
        app.MapGet("/", () => Results.Redirect("/launcher"));

        return app;
    }
}
