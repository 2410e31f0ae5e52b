using System.Diagnostics;
using System.Net;

namespace Rhizotomy.App.Tests.Sessions;

/// <summary>A real <c>redis-server</c> on a free port with its own temporary folder, stopped at the end.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    private RedisServer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false";

    /// <summary>Starts redis-server on a free port (or <paramref name="firstPort"/>); when another process took the port first, on another one.</summary>
    public static Task<RedisServer> StartAsync(int? firstPort = null) => Loopback.OnFreePortAsync(StartOnAsync, firstPort);

    private static async Task<RedisServer> StartOnAsync(int port)
    {
        var folder = Directory.CreateTempSubdirectory("rhizotomy-redis-").FullName;
        var process = Process.Start(new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", folder, "--save", "", "--appendonly", "no" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("redis-server did not start (install the Debian package redis-server).");
        // Ready only when this redis says so: a probe of the port could reach whoever else listens there.
        var output = new System.Text.StringBuilder();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Line(string? line)
        {
            if (line is null)
                return;
            lock (output)
                output.AppendLine(line);
            if (line.Contains("Ready to accept connections", StringComparison.Ordinal))
                ready.TrySetResult();
        }
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(60)));
        if (first == ready.Task)
            return new RedisServer(process, folder, port);

        var server = new RedisServer(process, folder, port);
        await server.DisposeAsync();
        string said;
        lock (output)
            said = output.ToString();
        if (first == exited && Loopback.SaysPortTaken(said))
            throw new PortTakenException("redis-server", port, said);
        throw new InvalidOperationException("redis-server did not become ready: " + said);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[Trait("Category", "Slow")]
public class RedisSessionTests
{
    [Fact]
    public async Task Redis_whose_port_another_process_took_first_starts_on_another_port()
    {
        using var squatter = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).Port;

        await using var redis = await RedisServer.StartAsync(firstPort: taken);

        Assert.NotEqual(taken, redis.Port);
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, redis.Port);
        var stream = client.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray());
        var answer = new byte[7];
        var read = 0;
        while (read < answer.Length && await stream.ReadAsync(answer.AsMemory(read)) is var n and > 0)
            read += n;
        Assert.Equal("+PONG\r\n", System.Text.Encoding.ASCII.GetString(answer, 0, read));
    }

    [Fact]
    public async Task Two_app_instances_sharing_redis_serve_the_same_launch_session()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var world = await SmartWorld.StartAsync(new() { RedisConnection = redis.ConnectionString });
        await world.SeedAsync(Charts.ClassicLeft());
        var secondApp = await world.StartAnotherAppAsync();
        using var browser = SmartWorld.Browser();

        var page = await browser.GetAsync(world.LaunchUrl("test-classic-left", "test-surgeon"));
        var launchPath = page.RequestMessage!.RequestUri!.AbsolutePath;
        var fromFirst = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri(world.AppOrigin + "/api/context")));
        var pageFromSecond = await browser.GetAsync(new Uri(secondApp + launchPath));
        var fromSecond = await SmartWorld.JsonAsync(await browser.GetAsync(new Uri(secondApp + "/api/context")));

        Assert.Equal(HttpStatusCode.OK, pageFromSecond.StatusCode);
        Assert.Contains("Alex Testperson", await pageFromSecond.Content.ReadAsStringAsync());
        Assert.Equal(fromFirst.GetProperty("launchId").GetString(), fromSecond.GetProperty("launchId").GetString());
        // The CSRF token one instance issued is accepted by the other (one data-protection key ring in Redis).
        using var refresh = new HttpRequestMessage(HttpMethod.Post, secondApp + "/api/session/refresh");
        refresh.Headers.Add("X-CSRF-Token", fromFirst.GetProperty("csrfToken").GetString());
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(refresh)).StatusCode);
        Assert.False(string.IsNullOrEmpty(fromSecond.GetProperty("csrfToken").GetString()));
        Assert.Equal("test-classic-left", fromSecond.GetProperty("patientId").GetString());
    }
}
