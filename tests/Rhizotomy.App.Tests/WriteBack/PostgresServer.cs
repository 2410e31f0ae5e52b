using System.Diagnostics;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.WriteBack;

/// <summary>
/// A throw-away PostgreSQL cluster from the Debian <c>postgresql</c> package
/// (<c>/usr/lib/postgresql/&lt;version&gt;/bin</c>), on a free loopback port, trust authentication,
/// in a temporary folder. PostgreSQL refuses to run as root: under root the cluster belongs to the
/// <c>postgres</c> user the package creates and is driven through <c>runuser -u postgres</c>.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _folder;
    private readonly bool _asPostgres;

    private PostgresServer(string bin, string folder, int port, bool asPostgres)
    {
        _bin = bin;
        _folder = folder;
        _asPostgres = asPostgres;
        Port = port;
    }

    public int Port { get; private set; }
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=true";

    /// <summary>A new cluster on a free port (or <paramref name="firstPort"/>); when another process took the port first, on another one.</summary>
    public static async Task<PostgresServer> StartAsync(int? firstPort = null)
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "pg_ctl"))).OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
            : null;
        if (bin is null)
            throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql: install the Debian package 'postgresql' (tests/run.sh does).");
        var asPostgres = Environment.UserName == "root";
        var folder = Path.Combine(Path.GetTempPath(), "rhizotomy-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        var server = new PostgresServer(bin, folder, 0, asPostgres);
        if (asPostgres)
            await server.RunAsync("chown", "postgres", folder);
        var data = Path.Combine(folder, "data");
        await server.RunAsync(Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync");
        // The cluster is made once; only the start moves to another port when someone else took this one.
        return await Loopback.OnFreePortAsync(async port =>
        {
            server.Port = port;
            var log = Path.Combine(folder, "log-" + port);
            try
            {
                await server.RunAsync(Path.Combine(bin, "pg_ctl"), "-D", data, "-l", log, "-w", "-t", "60",
                    "-o", $"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start");
            }
            catch (InvalidOperationException e) when (File.Exists(log) && Loopback.SaysPortTaken(File.ReadAllText(log)))
            {
                throw new PortTakenException("PostgreSQL", port, e.Message);
            }
            return server;
        }, firstPort);
    }

    private async Task RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(_asPostgres && file != "chown" ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (_asPostgres && file != "chown")
        {
            foreach (var a in new[] { "-u", "postgres", "--", file })
                start.ArgumentList.Add(a);
        }
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} failed ({process.ExitCode}): {await stderr}{await stdout}");
    }

    public async ValueTask DisposeAsync()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        try
        {
            await RunAsync(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "stop");
        }
        catch (InvalidOperationException)
        {
        }
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
