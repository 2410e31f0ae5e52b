using Microsoft.Extensions.Options;

namespace Rhizotomy.App;

/// <summary>A setting found wrong while the host is built (before options validation can run).</summary>
public sealed class SettingsException(string message) : InvalidOperationException(message);

/// <summary>
/// Runs a host so that a wrong setting ends the process with one line per setting on standard error
/// (which setting, what to put there) and exit code 2, instead of a stack trace or a failure later.
/// </summary>
public static class StartupSettings
{
    public const int ExitCode = 2;

    /// <summary>The lines to print when <paramref name="error"/> is a settings error; null for any other error.</summary>
    public static IReadOnlyList<string>? Describe(Exception error) => error switch
    {
        OptionsValidationException e => [.. e.Failures.Select(f => "Setting error: " + f)],
        SettingsException e => ["Setting error: " + e.Message],
        // The binder's own error names the key ("Failed to convert configuration value at 'App:Ehrs:0:AuthMethod' ...").
        InvalidOperationException e when e.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) =>
            ["Setting error: " + e.Message.Split('\n')[0].Trim()],
        _ => null,
    };

    /// <summary>Builds and runs the host; returns the process exit code.</summary>
    public static Task<int> RunAsync(Func<WebApplication> build) => RunAsync(() => [build()], startedLine: null, other: null);

    /// <summary>
    /// Builds the hosts, starts them in order, prints <paramref name="startedLine"/> once all listen, and runs
    /// until they stop; <paramref name="other"/> recognises settings errors of hosts this project does not know.
    /// </summary>
    public static async Task<int> RunAsync(Func<IReadOnlyList<WebApplication>> build, string? startedLine, Func<Exception, string?>? other)
    {
        IReadOnlyList<WebApplication> hosts = [];
        try
        {
            hosts = build();
            foreach (var host in hosts)
                await host.StartAsync();
            if (startedLine is not null)
                Console.WriteLine(startedLine);
            await Task.WhenAll(hosts.Select(h => h.WaitForShutdownAsync()));
            return 0;
        }
        catch (Exception e) when ((Describe(e) ?? (other?.Invoke(e) is { } message ? ["Setting error: " + message] : null)) is { } lines)
        {
            foreach (var line in lines)
                await Console.Error.WriteLineAsync(line);
            return ExitCode;
        }
        finally
        {
            foreach (var host in hosts.Reverse())
                await host.DisposeAsync();
        }
    }
}
