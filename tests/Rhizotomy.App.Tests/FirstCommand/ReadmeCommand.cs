using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Rhizotomy.App.Tests.FirstCommand;

/// <summary>
/// The root README's first command (the first line of its Quick start block), run as a child process from
/// the repository root as a newcomer runs it, told its ports and its data folder.
/// </summary>
public sealed partial class ReadmeCommand : IAsyncDisposable
{
    private readonly KeptOutputProcess _process;

    private ReadmeCommand(KeptOutputProcess process, string sandboxOrigin, string appOrigin)
    {
        _process = process;
        SandboxOrigin = sandboxOrigin;
        AppOrigin = appOrigin;
    }

    public string SandboxOrigin { get; }
    public string AppOrigin { get; }

    /// <summary>What the process printed so far (for failure messages).</summary>
    public string Output => string.Join("\n", _process.Output.TrimEnd('\r', '\n').Split(Environment.NewLine).TakeLast(60));

    /// <summary>The first line of the fenced block under "## Quick start" in the root README.</summary>
    public static string FirstCommand()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "README.md"));
        var block = QuickStartBlock().Match(readme);
        Assert.True(block.Success, "The root README has no fenced block under '## Quick start'.");
        return block.Groups[1].Value.Split('\n').Select(l => l.Trim()).First(l => l.Length > 0);
    }

    /// <summary>Starts the command with these ports; waits until it says both hosts listen.</summary>
    public static async Task<ReadmeCommand> StartAsync(string command, int sandboxPort, int appPort, string dataFolder, TimeSpan timeout)
    {
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var start = new ProcessStartInfo(words[0]) { WorkingDirectory = RepositoryRoot.Find() };
        foreach (var word in words.Skip(1))
            start.ArgumentList.Add(word);
        foreach (var word in new[] { "--", "--sandbox-port", sandboxPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--app-port", appPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-folder", dataFolder })
            start.ArgumentList.Add(word);
        // The test host's own MSBuild and test-platform variables are not a newcomer's shell.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = KeptOutputProcess.Start(start, (line, _) =>
        {
            if (line.StartsWith("Sandbox EHR: ", StringComparison.Ordinal))
                started.TrySetResult();
        });
        var demo = new ReadmeCommand(process, $"http://127.0.0.1:{sandboxPort}", $"http://127.0.0.1:{appPort}");

        var exited = process.Process.WaitForExitAsync();
        var done = await Task.WhenAny(started.Task, exited, Task.Delay(timeout));
        if (done == started.Task)
            return demo;
        var output = demo.Output;
        var exitCode = done == exited ? process.Process.ExitCode : (int?)null;
        await demo.DisposeAsync();
        if (Loopback.SaysPortTaken(output))
            throw new PortTakenException("The README's first command", appPort, output);
        throw new InvalidOperationException(done == exited
            ? $"`{command}` exited ({exitCode}) before it listened:\n{output}"
            : $"`{command}` did not say it listened within {timeout}:\n{output}");
    }

    /// <summary>Stops the whole tree: <c>dotnet run</c> starts the demo as its own child.</summary>
    public ValueTask DisposeAsync() => _process.DisposeAsync();

    [GeneratedRegex("^## Quick start\\s*\\n+```[a-z]*\\n(.*?)```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex QuickStartBlock();
}
