using System.Buffers.Text;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
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
