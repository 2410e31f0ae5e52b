using Rhizotomy.App.Ehr;

namespace Rhizotomy.App.Warmup;

/// <summary>
/// Registration of the start-up warm-up (<c>App:Warmup:Enabled</c>: on by default, except in the
/// Development environment): the
/// service, the readiness gate that waits for it, the capture of the request pipeline, and the EHR
/// gateway's client in front of the synthetic EHR.
/// </summary>
public static class WarmupSetup
{
    /// <summary>The EHR gateway's pipeline with <see cref="SyntheticEhr"/> as its last handler.</summary>
    public const string EhrClientName = "ehr-warm-up";

    public static WebApplicationBuilder AddStartupWarmup(this WebApplicationBuilder builder)
    {
        // Off by default in Development: there a quick edit-and-run matters more than the first launch,
        // and the in-process test hosts of WebApplicationFactory (Development) need not each pay for it.
        if (!builder.Configuration.GetValue("App:Warmup:Enabled", !builder.Environment.IsDevelopment()))
            return builder;
        builder.Services.AddSingleton<WarmupState>();
        builder.Services.AddSingleton<WarmupPipeline>();
        builder.Services.AddSingleton<IStartupFilter>(sp => sp.GetRequiredService<WarmupPipeline>());
        builder.Services.AddHostedService<StartupWarmup>();
        EhrGateway.AddResilience(builder.Services.AddHttpClient(EhrClientName).ConfigurePrimaryHttpMessageHandler(() => new SyntheticEhr()));
        return builder;
    }

    /// <summary>
    /// Not ready until the warm-up has run, so a balancer sends the first surgeon to a warm instance:
    /// <c>/health/ready</c> answers 503 before the health checks run (and before request logging, so
    /// the probes of the first seconds are not logged as errors). Liveness is not held back.
    /// </summary>
    public static WebApplication UseStartupWarmup(this WebApplication app)
    {
        if (app.Services.GetService<WarmupState>() is not { } state)
            return app;
        app.Use(async (context, next) =>
        {
            if (!state.Finished && context.Request.Path.StartsWithSegments(ReadyPath))
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.RetryAfter = "1";
                await context.Response.WriteAsync("Unhealthy: warming up");
                return;
            }
            await next(context);
        });
        return app;
    }

    /// <summary>The readiness address (<c>AppHost</c> maps the health checks there).</summary>
    public const string ReadyPath = "/health/ready";
}
