using System.Diagnostics;

namespace Rhizotomy.App.Tests.Hosting;

/// <summary>
/// The built app as its own process (<c>dotnet Rhizotomy.App.dll</c>, configured by environment variables) on a
/// loopback port, ready once it says it listens and <c>/health/ready</c> answers: SIGKILL and SIGTERM are real.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private KeptOutputProcess? _process;

    private AppProcess(int port, IReadOnlyDictionary<string, string?> environment)
    {
        Port = port;
        Environment = environment;
    }

    public int Port { get; }
    public IReadOnlyDictionary<string, string?> Environment { get; }
    public string Origin => $"http://127.0.0.1:{Port}";
    public int ProcessId => _process?.Process.Id ?? 0;

    /// <summary>Starts the app on <paramref name="port"/>; <see cref="PortTakenException"/> when another process has it.</summary>
    public static async Task<AppProcess> StartAsync(int port, IReadOnlyDictionary<string, string?> environment)
    {
        var app = new AppProcess(port, environment);
        await app.StartAsync();
        return app;
    }

    /// <summary>Starts it again on its port (after a kill or a stop).</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Rhizotomy.App.dll"), "--urls", Origin },
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var (key, value) in Environment)
            start.Environment[key] = value;
        start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
        // "Now listening on": this process has bound the port (a probe alone could reach whoever else listens there).
        start.Environment["Serilog__MinimumLevel__Override__Microsoft.Hosting.Lifetime"] = "Information";
        var process = KeptOutputProcess.Start(start);
        _process = process;
        using var http = new HttpClient();
        // Start-up with the warm-up takes seconds on a quiet machine, minutes on a shared one under load.
        var deadline = DateTime.UtcNow.AddSeconds(240);
        while (true)
        {
            if (process.Output.Contains("Now listening on", StringComparison.Ordinal))
            {
                try
                {
                    using var ready = await http.GetAsync(new Uri(Origin + "/health/ready"));
                    if (ready.IsSuccessStatusCode)
                        return;
                }
                catch (HttpRequestException)
                {
                }
            }
            if (process.Process.HasExited || DateTime.UtcNow > deadline)
            {
                var said = (process.Process.HasExited ? $"(exited with {process.Process.ExitCode}) " : "(no answer from /health/ready) ") + process.Output;
                await process.DisposeAsync();
                _process = null;
                if (Loopback.SaysPortTaken(said))
                    throw new PortTakenException("The app", Port, "");
                throw new InvalidOperationException("The app did not start: " + said);
            }
            await Task.Delay(200);
        }
    }

    /// <summary>SIGKILL: no shutdown, no lease released, requests in flight cut.</summary>
    public async Task KillAsync()
    {
        if (_process is null)
            return;
        _process.Process.Kill(entireProcessTree: true);
        await _process.Process.WaitForExitAsync();
        await _process.DisposeAsync();
        _process = null;
    }

    /// <summary>SIGTERM, as systemd stops it: the host shuts down gracefully (in-flight requests finish).</summary>
    public async Task StopAsync()
    {
        if (_process is null)
            return;
        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-s", "TERM", _process.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!)
            await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.Process.WaitForExitAsync(timeout.Token);
        await _process.DisposeAsync();
        _process = null;
    }

    public string Output => _process?.Output ?? "";

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
            await _process.DisposeAsync();
        _process = null;
    }
}
