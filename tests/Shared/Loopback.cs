using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Rhizotomy.Tests.Shared;

/// <summary>What tests need to know about a host they started on a loopback port 0.</summary>
public static class Loopback
{
    /// <summary>The origin (no trailing slash) a started host listens on, once it has chosen its port.</summary>
    public static string OriginOf(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

    /// <summary>A loopback port nobody listens on now (the OS may hand it to someone else before it is bound).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Starts something on a port that must be known before it is bound (a redirect URI registered
    /// elsewhere, a child process's command line). Another process can take the port in between:
    /// then <paramref name="start"/> throws <see cref="PortTakenException"/> (or Kestrel's
    /// address-in-use error), cleans up after itself, and it is started again on another port.
    /// </summary>
    /// <param name="firstPort">The port to try first (a restart on the port it had); the others are picked free.</param>
    public static async Task<T> OnFreePortAsync<T>(Func<int, Task<T>> start, int? firstPort = null, int attempts = 5)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await start(attempt == 1 && firstPort is { } first ? first : FreePort());
            }
            catch (Exception e) when (attempt < attempts && IsPortTaken(e))
            {
            }
        }
    }

    /// <summary>The port was bound by someone else first (Kestrel's error, or a child process that said so).</summary>
    public static bool IsPortTaken(Exception e) =>
        e is PortTakenException || e is IOException { InnerException: AddressInUseException } || e.InnerException is AddressInUseException;

    /// <summary>Whether a child process's output says its port was taken ("Address already in use", in any casing).</summary>
    public static bool SaysPortTaken(string output) => output.Contains("address already in use", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A server could not bind its loopback port because another process had it.</summary>
public sealed class PortTakenException(string what, int port, string detail)
    : Exception($"{what} could not bind 127.0.0.1:{port}: another process has it. {detail}");
