using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rhizotomy.App.Ehr;
using Rhizotomy.App.Launch;

namespace Rhizotomy.Cli;

/// <summary>
/// <c>rhizotomy ehr-check</c>: the readiness of one EHR for the app, computed by the app's own code
/// (<see cref="EhrCheck"/>), as a table or JSON. Exit 0 when the app can work with the EHR, 1 when not (with the reason).
/// </summary>
internal static class EhrCheckCommand
{
    /// <summary>Where the write test's token comes from when the registration has no Backend Services credentials.</summary>
    public const string TokenVariable = "RHIZOTOMY_EHR_TOKEN";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        string? issuer = null, settings = null, clientId = null, patient = null;
        var json = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--issuer": issuer = Value(); break;
                case "--settings": settings = Value(); break;
                case "--client-id": clientId = Value(); break;
                case "--write-test": patient = Value(); break;
                case "--json": json = true; break;
                default: throw new UsageException("unknown option " + args[i]);
            }
        }
        if (issuer is null || !Uri.TryCreate(issuer, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new UsageException("--issuer <FHIR base URL> is required");

        var configuration = new ConfigurationBuilder();
        if (settings is not null)
        {
            if (!File.Exists(settings))
                throw new UsageException("no such settings file: " + settings);
            configuration.AddJsonFile(Path.GetFullPath(settings), optional: false);
        }
        configuration.AddEnvironmentVariables();
        using var services = EhrCheckServices.Create(configuration.Build());
        var options = services.GetRequiredService<IOptions<AppOptions>>().Value;
        var ehr = options.Find(issuer) ?? new EhrRegistration { Issuer = issuer, ClientId = clientId ?? "" };
        if (clientId is not null)
            ehr.ClientId = clientId;

        var report = services.GetRequiredService<EhrCheck>()
            .RunAsync(ehr, patient, Environment.GetEnvironmentVariable(TokenVariable), CancellationToken.None).GetAwaiter().GetResult();
        if (json)
            output.WriteLine(JsonSerializer.Serialize(new { issuer = report.Issuer, canWork = report.CanWork, reason = report.Reason, strategy = report.Strategy, checks = report.Lines }, Json));
        else
            Table(report, output);
        if (report.CanWork)
            return CliApp.Valid;
        error.WriteLine("rhizotomy: the app cannot work with this EHR: " + report.Reason);
        return CliApp.Invalid;
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private static void Table(EhrCheckReport report, TextWriter output)
    {
        output.WriteLine("EHR " + report.Issuer);
        var checkWidth = Math.Max(5, report.Lines.Max(l => l.Check.Length));
        var resultWidth = Math.Min(48, Math.Max(6, report.Lines.Max(l => l.Result.Length)));
        output.WriteLine($"{"check".PadRight(checkWidth)}  {"level",-5}  {"result".PadRight(resultWidth)}  detail");
        foreach (var line in report.Lines)
            output.WriteLine($"{line.Check.PadRight(checkWidth)}  {line.Level.ToString().ToLowerInvariant(),-5}  {line.Result.PadRight(resultWidth)}  {line.Detail}".TrimEnd());
        output.WriteLine(report.CanWork ? "verdict: the app can work with this EHR" : "verdict: the app cannot work with this EHR: " + report.Reason);
    }
}
