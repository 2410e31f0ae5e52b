using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Rhizotomy.App.Tests.Ehr;

/// <summary>
/// A real HTTP server on a loopback port that records what reaches it (path, Authorization) and
/// answers with what the test maps. It stands in for servers that cannot run here (an old EHR,
/// a foreign server a chart points at); tests that use it say <c>Fake</c> in their names.
/// </summary>
public sealed class RecordingServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RecordingServer(WebApplication app, string origin)
    {
        _app = app;
        Origin = origin;
    }

    public string Origin { get; }
    public List<(string Path, string? Authorization)> Requests { get; } = [];

    public static async Task<RecordingServer> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        RecordingServer? server = null;
        app.Use(async (context, next) =>
        {
            lock (server!.Requests)
                server.Requests.Add((context.Request.Path + context.Request.QueryString, context.Request.Headers.Authorization.FirstOrDefault()));
            await next(context);
        });
        map(app);
        await app.StartAsync();
        var origin = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        server = new RecordingServer(app, origin);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
