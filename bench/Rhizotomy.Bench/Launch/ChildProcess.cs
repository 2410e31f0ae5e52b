using System.Diagnostics;
using Rhizotomy.Tests.Shared;

namespace Rhizotomy.Bench.Launch;

/// <summary>
/// One of the product's programs (the app, the sandbox EHR) run as its own process from this output
/// folder, as a deployment runs it: a new runtime, nothing JIT-compiled, its CPU time readable.
/// Settings go on the command line (<c>--Key=value</c>); its output is kept to say why it failed.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly KeptOutputProcess _child;

    private ChildProcess(KeptOutputProcess child, string name, string origin)
    {
        _child = child;
        Name = name;
        Origin = origin;
    }

    public Process Process => _child.Process;
    public string Name { get; }

    /// <summary>Where it listens (no trailing slash).</summary>
    public string Origin { get; }

    /// <summary>From the process start to the first successful answer of its readiness address.</summary>
    public TimeSpan StartToReady { get; private set; }

    /// <summary>
    /// Starts <paramref name="dll"/> (beside this driver) listening on <paramref name="origin"/> and waits until
    /// <paramref name="readyPath"/> answers 2xx. Throws <see cref="PortTakenException"/> when another process had the port.
    /// </summary>
    public static async Task<ChildProcess> StartAsync(
        string name, string dll, string origin, string readyPath, IEnumerable<KeyValuePair<string, string?>> settings,
        IReadOnlyDictionary<string, string>? environment = null, bool echoErrors = true)
    {
        var path = Path.Combine(AppContext.BaseDirectory, dll);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{dll} not found beside the driver ({AppContext.BaseDirectory}).");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = AppContext.BaseDirectory };
        start.ArgumentList.Add(path);
        start.ArgumentList.Add("--urls=" + origin);
        foreach (var (key, value) in settings)
            start.ArgumentList.Add($"--{key}={value}");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;

        var started = Stopwatch.GetTimestamp();
        var child = new ChildProcess(KeptOutputProcess.Start(start, (line, error) =>
        {
            if (error && echoErrors)
                Console.Error.WriteLine($"{name}: {line}");
        }), name, origin);
        try
        {
            await child.WaitReadyAsync(new Uri(origin + readyPath), started);
            return child;
        }
        catch
        {
            await child.DisposeAsync();
            throw;
        }
    }

    /// <summary>What it wrote so far (standard output and error).</summary>
    public string Output => _child.Output;

    private async Task WaitReadyAsync(Uri ready, long started)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 120;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (Process.HasExited)
                break;
            try
            {
                using var response = await http.GetAsync(ready);
                if (response.IsSuccessStatusCode)
                {
                    StartToReady = Stopwatch.GetElapsedTime(started);
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(20);
        }
        if (Loopback.SaysPortTaken(Output))
            throw new PortTakenException(Name, ready.Port, "");
        throw new InvalidOperationException($"{Name} did not become ready: {Output}");
    }

    public ValueTask DisposeAsync() => _child.DisposeAsync();
}
