using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Sandbox.Ehr.Fhir;
using Serilog;
using Serilog.Events;

namespace Sandbox.Ehr.Hosting;

/// <summary>A sandbox setting found wrong while the host is built.</summary>
public sealed class SandboxSettingsException(string message) : InvalidOperationException(message);

/// <summary>How the sandbox process runs: loopback port 5080, console logs, a start line with the launcher URL.</summary>
public static class SandboxHosting
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Turns the bare <c>--reseed</c> flag into configuration (the command-line provider needs key=value).</summary>
    public static string[] NormalizeArgs(string[] args) =>
        args.Select(a => a is "--reseed" or "--Sandbox:Reseed" ? "--Sandbox:Reseed=true" : a).ToArray();

    public static WebApplicationBuilder AddSandboxHostingDefaults(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]) && string.IsNullOrEmpty(builder.Configuration["Kestrel:Endpoints:Http:Url"]))
        {
            builder.WebHost.UseUrls(builder.Configuration["Sandbox:Url"] ?? DefaultUrl);
        }
        // preserveStaticLogger: tests host several sandboxes in one process.
        builder.Host.UseSerilog((context, configuration) => configuration
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.EntityFrameworkCore", LogEventLevel.Warning)
            .ReadFrom.Configuration(context.Configuration)
            .Enrich.FromLogContext()
            // A wrong setting is said in one line by RunAsync, not as the host's stack trace.
            .Filter.ByExcluding(e => e.Exception is Microsoft.Extensions.Options.OptionsValidationException)
            .WriteTo.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture), preserveStaticLogger: true);
        return builder;
    }

    /// <summary>
    /// An exception that escapes an endpoint (OpenIddict reading a form with a NUL in it, for one)
    /// becomes a plain OperationOutcome. Without this, Development shows the developer exception
    /// page (stack trace, type names, file paths) and Production an empty 500.
    /// </summary>
    public static WebApplication UseSandboxErrorHandling(this WebApplication app)
    {
        app.UseExceptionHandler(e => e.Run(context =>
        {
            var error = context.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Error;
            var unreadable = error is BadHttpRequestException or InvalidDataException;
            var result = unreadable
                ? FhirResult.Error(StatusCodes.Status400BadRequest, Hl7.Fhir.Model.OperationOutcome.IssueType.Structure, "The request could not be read.")
                : FhirResult.Error(StatusCodes.Status500InternalServerError, Hl7.Fhir.Model.OperationOutcome.IssueType.Exception, "The server failed to process the request.");
            return FhirEndpoints.WriteResult(context, result);
        }));
        return app;
    }

    /// <summary>
    /// Builds and runs the sandbox; a wrong setting ends the process with one line per setting on standard
    /// error (which setting, what to put there) and exit code 2. Returns the exit code.
    /// </summary>
    public static async Task<int> RunAsync(Func<WebApplication> build)
    {
        try
        {
            await using var app = build();
            await app.RunAsync();
            return 0;
        }
        catch (Exception e) when (e is Microsoft.Extensions.Options.OptionsValidationException or SandboxSettingsException)
        {
            var lines = e is Microsoft.Extensions.Options.OptionsValidationException v ? v.Failures : [e.Message];
            foreach (var line in lines)
                await Console.Error.WriteLineAsync("Setting error: " + line);
            return 2;
        }
    }

    public static WebApplication LogSandboxStart(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var origin = addresses.FirstOrDefault()?.TrimEnd('/') ?? DefaultUrl;
            app.Logger.LogInformation("Sandbox EHR ready. Launcher: {Launcher} FHIR base: {FhirBase}", origin + "/launcher", origin + "/fhir");
        });
        return app;
    }
}
