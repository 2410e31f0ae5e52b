using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

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

    public static async Task<RedisServer> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("rhizotomy-redis-").FullName;
        var port = SmartWorld.FreePort();
        var process = Process.Start(new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", folder, "--save", "", "--appendonly", "no" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("redis-server did not start (install the Debian package redis-server).");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50);
            }
        }
        return new RedisServer(process, folder, port);
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

public class RedisSessionTests
{
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
        Assert.Equal(fromFirst.GetProperty("csrfToken").GetString(), fromSecond.GetProperty("csrfToken").GetString());
        Assert.Equal("test-classic-left", fromSecond.GetProperty("patientId").GetString());
    }
}
