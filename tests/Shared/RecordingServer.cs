using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Rhizotomy.Tests.Shared;

/// <summary>
/// A real HTTP server on a loopback port that records what reaches it (path, Authorization) and
/// answers with what the test maps. It stands in for servers that cannot run here (an old EHR,
/// a foreign server a chart points at, a client's JWKS endpoint); a test in which it plays an EHR
/// says <c>Fake</c> in its name.
/// </summary>
public sealed class RecordingServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RecordingServer(WebApplication app, List<(string Path, string? Authorization)> requests)
    {
        _app = app;
        Origin = Loopback.OriginOf(app);
        Requests = requests;
    }

    /// <summary>Origin without a trailing slash, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Origin { get; }

    /// <summary>Every request so far; lock it while reading when requests may still arrive.</summary>
    public List<(string Path, string? Authorization)> Requests { get; }

    public static async Task<RecordingServer> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var requests = new List<(string Path, string? Authorization)>();
        app.Use(async (context, next) =>
        {
            lock (requests)
                requests.Add((context.Request.Path + context.Request.QueryString, context.Request.Headers.Authorization.FirstOrDefault()));
            await next(context);
        });
        map(app);
        await app.StartAsync();
        return new RecordingServer(app, requests);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
