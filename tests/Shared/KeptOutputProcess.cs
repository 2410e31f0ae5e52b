using System.Diagnostics;
using System.Text;

namespace Rhizotomy.Tests.Shared;

/// <summary>
/// A program the tests or the bench start as a child process: its standard output and error are read line by line
/// and kept (to say why it failed), and disposing it stops it with every process it started (<c>dotnet run</c>
/// starts the program as its own child).
/// </summary>
public sealed class KeptOutputProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private bool _disposed;

    private KeptOutputProcess(Process process) => Process = process;

    public Process Process { get; }

    /// <summary>
    /// Starts <paramref name="start"/> with its output redirected; <paramref name="onLine"/> sees each line as it comes
    /// (with whether it came on standard error), after it is kept.
    /// </summary>
    public static KeptOutputProcess Start(ProcessStartInfo start, Action<string, bool>? onLine = null)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var child = new KeptOutputProcess(Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start."));
        child.Process.OutputDataReceived += (_, e) => child.Keep(e.Data, error: false, onLine);
        child.Process.ErrorDataReceived += (_, e) => child.Keep(e.Data, error: true, onLine);
        child.Process.BeginOutputReadLine();
        child.Process.BeginErrorReadLine();
        return child;
    }

    /// <summary>What it wrote so far (standard output and error, one line each).</summary>
    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    private void Keep(string? line, bool error, Action<string, bool>? onLine)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
        onLine?.Invoke(line, error);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }
        Process.Dispose();
    }
}
