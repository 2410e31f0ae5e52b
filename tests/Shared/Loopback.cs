using Microsoft.AspNetCore.Builder;
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
}
