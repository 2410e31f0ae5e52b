using System.Runtime.ExceptionServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rhizotomy.App.WriteBack;

namespace Rhizotomy.App.Tests.WriteBack;

/// <summary>The background sender while nothing is due: its poll is a wait, not an exception.</summary>
public sealed class NoteSenderIdleTests
{
    // Set around this test's host start only: everything that host runs (its sender's loop included) carries it.
    private static readonly AsyncLocal<string?> HostMarker = new();

    [Fact]
    public async Task An_idle_sender_polls_without_throwing_an_exception_per_poll()
    {
        var folder = Directory.CreateTempSubdirectory("rhizotomy-sender-idle-").FullName;
        var marker = Guid.NewGuid().ToString("N");
        var thrown = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void Record(object? source, FirstChanceExceptionEventArgs e)
        {
            if (HostMarker.Value == marker)
                thrown.Enqueue(e.Exception.GetType().Name);
        }

        var app = AppHost.Build(["--urls", "http://127.0.0.1:0"], b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["App:PublicOrigin"] = "http://127.0.0.1:1",
            ["App:DataProtectionKeys"] = Path.Combine(folder, "keys"),
            ["App:Ehrs:0:Issuer"] = "http://127.0.0.1:1/fhir",
            ["App:Ehrs:0:ClientId"] = "idle-test",
            ["App:Ehrs:0:AuthMethod"] = "Public",
            ["App:Ehrs:0:Custodian"] = "Organization/test-hospital",
            ["App:WriteBack:ConnectionString"] = "Data Source=" + Path.Combine(folder, "outbox.db"),
            // Two hundred polls a second: before the fix each one that passed idle threw (and caught) a cancellation.
            ["App:WriteBack:PollMs"] = "5",
            ["App:Warmup:Enabled"] = "false",
        }));
        AppDomain.CurrentDomain.FirstChanceException += Record;
        try
        {
            await StartMarkedAsync(app, marker);
            // What starting costs (the store's first connection, the key ring) is not the idle loop.
            thrown.Clear();
            var sender = app.Services.GetRequiredService<NoteSender>();
            // Idle time is what is under test: the sender's loop goes round many times in it.
            await Task.Delay(TimeSpan.FromMilliseconds(600));
            Assert.NotNull(sender.ExecuteTask);
            Assert.False(sender.ExecuteTask!.IsCompleted, "the sender's loop stopped");
            Assert.True(thrown.IsEmpty, $"{thrown.Count} exceptions while idle: {string.Join(", ", thrown.Distinct())}");
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Record;
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task StartMarkedAsync(WebApplication app, string marker)
    {
        HostMarker.Value = marker;
        await app.StartAsync();
    }
}
