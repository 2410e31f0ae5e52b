using Microsoft.Extensions.DependencyInjection.Extensions;
using Rhizotomy.App.Audit;
using Rhizotomy.App.Ehr;
using Rhizotomy.App.Evidence;
using Rhizotomy.App.Form;
using Rhizotomy.App.Hosting;
using Rhizotomy.App.Launch;
using Rhizotomy.App.Logging;
using Rhizotomy.App.Sessions;
using Rhizotomy.App.Ui;
using Rhizotomy.App.Warmup;
using Rhizotomy.App.WriteBack;
using Serilog;
using Serilog.Events;

namespace Rhizotomy.App;

/// <summary>
/// Builds the app. Kept apart from <c>Program</c> so the one-command demo and tests can host it on
/// a real loopback port beside the sandbox EHR.
/// </summary>
public static class AppHost
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // The app's name, whoever hosts it (the demo, a test): its static assets' manifests are named after it.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ApplicationName = typeof(AppHost).Assembly.GetName().Name });
        configure?.Invoke(builder);
        // Style and script are served from the build's wwwroot (its manifest lists where) in every environment, not only
        // in Development; a published app has them in its own wwwroot and no such manifest.
        builder.WebHost.UseStaticWebAssets();
        // No Server header: what the app runs on is nobody's business.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

        // A setting that would break a launch or signing stops the start (AppOptionsValidator), never a 500 later.
        builder.Services.AddOptions<AppOptions>().Bind(builder.Configuration.GetSection(AppOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<AppOptions>, AppOptionsValidator>();
        builder.Services.AddMemoryCache();
        builder.Services.TryAddSingleton(TimeProvider.System);
        // Structured logs without PHI or tokens: URLs with query strings (launch, code, patient
        // searches) are logged by these sources at Information, so they are held at Warning.
        builder.Services.AddHttpContextAccessor();
        // HttpClient's own loggers put each EHR request URL (patient ids, search parameters) in a
        // log scope that every event during the call carries (Polly's retry warnings included);
        // they log nothing at Warning or above, so they go.
        builder.Services.ConfigureHttpClientDefaults(http => http.RemoveAllLoggers());
        builder.Services.AddSerilog((services, log) => log
            .ReadFrom.Configuration(builder.Configuration)
            .Enrich.With(new RoutePatternEnricher(services.GetRequiredService<IHttpContextAccessor>()))
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
            .MinimumLevel.Override("Polly", LogEventLevel.Warning)
            // EF Core logs every SQL command of the outbox poll at Information.
            .MinimumLevel.Override("Microsoft.EntityFrameworkCore", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            // A wrong setting is said in one line by StartupSettings, not as the host's stack trace.
            .Filter.ByExcluding(e => e.Exception is Microsoft.Extensions.Options.OptionsValidationException)
            .WriteTo.Console(), preserveStaticLogger: true);

        builder.AddSessions();
        builder.AddLaunch();
        builder.AddEhrGateway();
        builder.AddNoteForm();
        builder.AddWriteBack();
        builder.AddAudit();
        // Behind a reverse proxy and observed (Hosting/): whose forwarded headers count; OpenTelemetry traces and metrics.
        builder.AddProxySupport();
        builder.AddTelemetry();
        builder.Services.AddHealthChecks().AddCheck<SessionStoreHealthCheck>("session-store");
        // The first launch's code runs once, offline, before /health/ready says ready.
        builder.AddStartupWarmup();
        // Pages are Razor components rendered by the endpoints (RazorComponentResult); no interactivity, no circuit.
        builder.Services.AddRazorComponents();

        var app = builder.Build();
        app.UseProxySupport();
        app.UseSecurityHeaders();
        // Never a stack trace: an unhandled error becomes a plain page.
        app.UseExceptionHandler(e => e.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return Pages.Error(500, "Something went wrong", "The app could not finish this request.", "Try again; if it keeps happening, open the app again from the EHR.")
                .ExecuteAsync(context);
        }));
        app.UseNotFoundPage();
        app.UseStartupWarmup();
        app.UseTelemetry();
        // Route patterns, not paths: a launch id in /s/{launchId} stays out of the logs.
        app.UseSerilogRequestLogging(o =>
        {
            o.GetMessageTemplateProperties = (context, _, elapsed, status) =>
            [
                new LogEventProperty("RequestMethod", new ScalarValue(context.Request.Method)),
                new LogEventProperty("RequestPath", new ScalarValue((context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)")),
                new LogEventProperty("StatusCode", new ScalarValue(status)),
                new LogEventProperty("Elapsed", new ScalarValue(elapsed)),
            ];
            // The start-up warm-up's in-process requests are not traffic: below any level the app logs at.
            o.GetLevel = (context, _, error) => StartupWarmup.IsWarmupRequest(context) ? LogEventLevel.Verbose
                : error is not null || context.Response.StatusCode > 499 ? LogEventLevel.Error : LogEventLevel.Information;
        });

        // Style and script: wwwroot, served with fingerprinted names, ETags and compression; pages link them through
        // the endpoints' resource collection (Assets[...] in the components).
        app.MapStaticAssets();
        var site = app.MapGroup("");
        site.WithStaticAssetLinks(app);
        site.MapLaunch();
        site.MapEvidencePage();
        site.MapContextApi();
        site.MapNoteForm();
        site.MapWriteBack();
        app.MapAudit();
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks(WarmupSetup.ReadyPath);
        app.MapGet("/health", () => Results.Ok());
        return app;
    }
}
