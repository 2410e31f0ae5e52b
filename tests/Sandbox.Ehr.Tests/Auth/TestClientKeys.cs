using System.Buffers.Text;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Sandbox.Ehr.Tests.Auth;

/// <summary>Key pairs of the test's Backend Services clients and the client assertions they sign.</summary>
public sealed class TestClientKeys : IDisposable
{
    public RSA Rsa { get; } = RSA.Create(2048);

    public ECDsa Ec { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP384);

    /// <summary>The public JWKS (JSON) of both keys, as a client would register or publish it.</summary>
    public string PublicJwks()
    {
        var rsa = Rsa.ExportParameters(includePrivateParameters: false);
        var ec = Ec.ExportParameters(includePrivateParameters: false);
        return JsonSerializer.Serialize(new
        {
            keys = new object[]
            {
                new { kty = "RSA", kid = "rsa-1", use = "sig", alg = "RS384", n = Base64Url.EncodeToString(rsa.Modulus), e = Base64Url.EncodeToString(rsa.Exponent) },
                new { kty = "EC", kid = "ec-1", use = "sig", alg = "ES384", crv = "P-384", x = Base64Url.EncodeToString(ec.Q.X), y = Base64Url.EncodeToString(ec.Q.Y) },
            },
        });
    }

    public string Assertion(string clientId, string audience, string algorithm, string? jti = null, TimeSpan? lifetime = null)
    {
        SecurityKey key = algorithm == SecurityAlgorithms.EcdsaSha384
            ? new ECDsaSecurityKey(Ec) { KeyId = "ec-1" }
            : new RsaSecurityKey(Rsa) { KeyId = "rsa-1" };
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = clientId,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", clientId), new Claim("jti", jti ?? Guid.NewGuid().ToString("N"))]),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (lifetime ?? TimeSpan.FromMinutes(4)),
            SigningCredentials = new SigningCredentials(key, algorithm),
        });
    }

    public void Dispose()
    {
        Rsa.Dispose();
        Ec.Dispose();
    }
}

/// <summary>A client's own web server publishing its JWKS over loopback (for jwks_uri registrations).</summary>
public sealed class JwksHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private JwksHost(WebApplication app, string url)
    {
        _app = app;
        JwksUri = url;
    }

    public string JwksUri { get; }

    public static async Task<JwksHost> StartAsync(string jwks)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/jwks.json", () => Results.Text(jwks, "application/json"));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new JwksHost(app, address + "/jwks.json");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
