using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rhizotomy.App.WriteBack;
using Sandbox.Ehr;
using Sandbox.Ehr.Fhir;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.WriteBack;

/// <summary>The app as a child process (configured by environment variables), killed with SIGKILL mid-send.</summary>
[Trait("Category", "Slow")]
public sealed class CrashTests : IAsyncLifetime
{
    private const string ClientId = "rhizotomy-crash";
    private readonly string _folder = Directory.CreateTempSubdirectory("rhizotomy-crash-").FullName;
    private int _appPort;
    private Microsoft.AspNetCore.Builder.WebApplication? _sandbox;
    private string _sandboxOrigin = "";
    private Process? _app;

    private string AppOrigin => $"http://127.0.0.1:{_appPort}";
    private string OutboxFile => Path.Combine(_folder, "outbox.db");

    /// <summary>
    /// The sandbox (the app's redirect URI registered on it) and the app on a port picked before
    /// either starts; when another process takes that port first, both start again on another.
    /// </summary>
    public Task InitializeAsync() => Loopback.OnFreePortAsync(async port =>
    {
        _appPort = port;
        await StartSandboxAsync();
        try
        {
            await StartAppAsync();
        }
        catch
        {
            await StopAsync();
            throw;
        }
        return true;
    });

    private async Task StartSandboxAsync()
    {
        _sandbox = SandboxHost.Build(["--urls", "http://127.0.0.1:0"], b => b.Configuration
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Sandbox:Storage"] = "memory",
                ["Sandbox:Mode"] = "epic-like",
                ["Sandbox:DataFolder"] = Path.Combine(_folder, "sandbox"),
            })
            .AddInMemoryCollection(SandboxRegistration.PublicApp(ClientId, AppOrigin)));
        await _sandbox.StartAsync();
        _sandboxOrigin = Loopback.OriginOf(_sandbox);
        await _sandbox.Services.GetRequiredService<IFhirStore>().PutAllAsync(Charts.ClassicLeft());
    }

    /// <summary>
    /// The app again after the kill, on its port when it is still free. Nothing after the restart
    /// depends on its origin (no launch; the sender works from the outbox), so when another process
    /// took the port meanwhile it starts on another one.
    /// </summary>
    private Task RestartAppAsync() => Loopback.OnFreePortAsync(async port =>
    {
        _appPort = port;
        await StartAppAsync();
        return true;
    }, firstPort: _appPort);

    private async Task StartAppAsync()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Rhizotomy.App.dll"), "--urls", AppOrigin },
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var env = start.Environment;
        env["App__PublicOrigin"] = AppOrigin;
        env["App__DataProtectionKeys"] = Path.Combine(_folder, "app-keys");
        env["App__Ehrs__0__Issuer"] = _sandboxOrigin + "/fhir";
        env["App__Ehrs__0__ClientId"] = ClientId;
        env["App__Ehrs__0__AuthMethod"] = "Public";
        env["App__Ehrs__0__Custodian"] = "Organization/test-hospital";
        env["App__WriteBack__ConnectionString"] = "Data Source=" + OutboxFile;
        env["App__WriteBack__InlineWaitMs"] = "100";
        // The lease outlasts the attempt timeout (the app refuses to start otherwise) and the sandbox's 2 s hang with
        // room for a loaded machine: a request the killed app left in flight has landed before the note is claimed again.
        env["App__WriteBack__AttemptTimeoutSeconds"] = "4";
        env["App__WriteBack__LeaseSeconds"] = "10";
        env["App__WriteBack__PollMs"] = "200";
        env["App__WriteBack__BaseDelayMs"] = "100";
        env["App__WriteBack__MaxDelayMs"] = "1000";
        env["Serilog__MinimumLevel__Default"] = "Warning";
        // "Now listening on": this process has bound the port (a probe alone could reach whoever else listens there).
        env["Serilog__MinimumLevel__Override__Microsoft.Hosting.Lifetime"] = "Information";
        var output = new System.Text.StringBuilder();
        var listening = false;
        void Line(string? line)
        {
            if (line is null)
                return;
            lock (output)
            {
                output.AppendLine(line);
                listening |= line.Contains("Now listening on", StringComparison.Ordinal);
            }
        }
        _app = Process.Start(start)!;
        _app.OutputDataReceived += (_, e) => Line(e.Data);
        _app.ErrorDataReceived += (_, e) => Line(e.Data);
        _app.BeginOutputReadLine();
        _app.BeginErrorReadLine();
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            bool bound;
            lock (output)
                bound = listening;
            if (bound)
            {
                try
                {
                    using var ready = await http.GetAsync(AppOrigin + "/health/ready");
                    if (ready.IsSuccessStatusCode)
                        return;
                }
                catch (HttpRequestException)
                {
                }
            }
            if (_app.HasExited || DateTime.UtcNow > deadline)
            {
                var port = _appPort;
                if (!_app.HasExited)
                    _app.Kill(entireProcessTree: true);
                await _app.WaitForExitAsync();
                _app.Dispose();
                _app = null;
                string said;
                lock (output)
                    said = output.ToString();
                if (Loopback.SaysPortTaken(said))
                    throw new PortTakenException("The app", port, "");
                throw new InvalidOperationException("The app did not start: " + said);
            }
            await Task.Delay(200);
        }
    }

    private async Task SetFaultsAsync(object faults)
    {
        using var http = new HttpClient();
        using var response = await http.PutAsJsonAsync(_sandboxOrigin + "/admin/faults", faults);
        Assert.True(response.IsSuccessStatusCode);
    }

    [Fact]
    public async Task Killing_the_app_mid_send_loses_nothing_and_duplicates_nothing_after_restart()
    {
        const int notes = 6;
        using var browser = SmartWorld.Browser();
        using var page = await browser.GetAsync(new Uri($"{_sandboxOrigin}/launcher/launch?practitioner=test-surgeon&patient=test-classic-left&encounter=test-classic-left-surgery&app={Uri.EscapeDataString(AppOrigin + "/launch")}"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var context = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri(AppOrigin + "/api/context")));
        var csrf = context.GetProperty("csrfToken").GetString()!;

        // Every write hangs: the app is killed while its requests are in flight (the EHR finishes some of them later).
        await SetFaultsAsync(new { rules = new object[] { new { kind = "hang", rate = 1, method = "POST", path = "/fhir", hangSeconds = 2 } } });
        for (var i = 0; i < notes; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, AppOrigin + "/api/notes")
            {
                Content = new StringContent(new FhirJsonSerializer().SerializeToString(SignedNotes.LeftNeurectomy($"crash-{i}")), System.Text.Encoding.UTF8, "application/fhir+json"),
            };
            request.Headers.Add("X-CSRF-Token", csrf);
            using var signed = await browser.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, signed.StatusCode);
        }
        await Task.Delay(500);
        _app!.Kill(entireProcessTree: true);
        await _app.WaitForExitAsync();
        _app.Dispose();
        _app = null;

        // Another process takes the app's port while it is down (address reuse: the killed app's
        // connections may still linger on it): the restart must move to another port.
        var killedPort = _appPort;
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, killedPort);
        squatter.Server.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.ReuseAddress, true);
        squatter.Start();

        await SetFaultsAsync(new { rules = Array.Empty<object>() });
        await RestartAppAsync();
        Assert.NotEqual(killedPort, _appPort);
        squatter.Stop();

        var options = new DbContextOptionsBuilder<WriteBackDb>().UseSqlite("Data Source=" + OutboxFile).Options;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        List<OutboxNote> stored;
        while (true)
        {
            await using (var db = new WriteBackDb(options))
                stored = await db.Notes.AsNoTracking().ToListAsync();
            if (stored.Count == notes && stored.All(n => n.Status == NoteStatus.Written) || DateTime.UtcNow > deadline)
                break;
            await Task.Delay(250);
        }
        Assert.Equal(notes, stored.Count);
        Assert.All(stored, n => Assert.Equal(NoteStatus.Written, n.Status));
        // Anything the EHR was still finishing when the app died has landed by now (hang is 2 s).
        await Task.Delay(2500);
        var documents = (await _sandbox!.Services.GetRequiredService<IFhirStore>().SearchAsync("DocumentReference", "_count=500"))
            .Where(d => SignedNotes.NoteIds(d).Any()).GroupBy(d => SignedNotes.NoteIds(d).Single()).ToList();
        Assert.Equal(notes, documents.Count);
        Assert.All(documents, g => Assert.Single(g));
    }

    private async Task StopAsync()
    {
        if (_app is { HasExited: false })
        {
            _app.Kill(entireProcessTree: true);
            await _app.WaitForExitAsync();
        }
        _app?.Dispose();
        _app = null;
        if (_sandbox is not null)
        {
            await _sandbox.StopAsync();
            await _sandbox.DisposeAsync();
            _sandbox = null;
        }
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
