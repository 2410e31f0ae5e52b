using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Serilog;
using Serilog.Configuration;
using Serilog.Core;
using Serilog.Events;

namespace Rhizotomy.App.Tests.Hygiene;

/// <summary>
/// Every log event of one host, as text: level, source, rendered message, every property (what a
/// structured sink would store) and the exception. Wired in through configuration
/// (<c>Serilog:WriteTo</c>), the way an operator adds a sink, so the product's logging code runs unchanged.
/// </summary>
public sealed class LogCapture : ILogEventSink
{
    private static readonly ConcurrentDictionary<string, LogCapture> Captures = new();
    private readonly ConcurrentQueue<string> _lines = new();

    /// <summary>The capture registered under <paramref name="key"/> (created on first use).</summary>
    public static LogCapture For(string key) => Captures.GetOrAdd(key, _ => new LogCapture());

    /// <summary>Configuration that sends a host's Serilog events (and so its Microsoft.Extensions.Logging events) here.</summary>
    /// <param name="turnUpHeldSources">Also turn the sources the products hold back (ASP.NET Core, HttpClient, OpenIddict, EF Core, Polly) up to <paramref name="minimumLevel"/>.</param>
    public static Dictionary<string, string?> Configuration(string key, string minimumLevel = "Information", bool turnUpHeldSources = false)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Serilog:Using:0"] = typeof(LogCapture).Assembly.GetName().Name,
            ["Serilog:MinimumLevel:Default"] = minimumLevel,
            ["Serilog:WriteTo:90:Name"] = nameof(LogCaptureSinkExtensions.HygieneCapture),
            ["Serilog:WriteTo:90:Args:key"] = key,
        };
        if (turnUpHeldSources)
        {
            foreach (var source in new[] { "Microsoft.AspNetCore", "System.Net.Http", "OpenIddict", "Microsoft.EntityFrameworkCore", "Polly" })
                settings["Serilog:MinimumLevel:Override:" + source] = minimumLevel;
        }
        return settings;
    }

    public int Count => _lines.Count;

    public IReadOnlyList<string> Lines => [.. _lines];

    public string Text => string.Join('\n', _lines);

    public void Emit(LogEvent logEvent)
    {
        var line = new StringBuilder();
        line.Append(logEvent.Level).Append(' ');
        line.Append(logEvent.RenderMessage(CultureInfo.InvariantCulture));
        foreach (var (name, value) in logEvent.Properties)
            line.Append(" | ").Append(name).Append('=').Append(value.ToString(null, CultureInfo.InvariantCulture));
        if (logEvent.Exception is not null)
            line.Append(" | exception=").Append(logEvent.Exception);
        _lines.Enqueue(line.ToString());
    }
}

/// <summary>The configuration name of <see cref="LogCapture"/> (<c>"Name": "HygieneCapture"</c>).</summary>
public static class LogCaptureSinkExtensions
{
    public static LoggerConfiguration HygieneCapture(this LoggerSinkConfiguration sinks, string key) =>
        sinks.Sink(LogCapture.For(key));
}
