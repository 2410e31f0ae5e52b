namespace Sandbox.Ehr.Launcher;

public static class LauncherExtensions
{
    public static WebApplicationBuilder AddLauncher(this WebApplicationBuilder builder) => builder;

    public static WebApplication MapLauncher(this WebApplication app) => app;
}
