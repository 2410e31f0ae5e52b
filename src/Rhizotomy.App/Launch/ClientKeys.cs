using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Rhizotomy.App.Launch;

/// <summary>
/// The signing keys of the EHR registrations that use <c>private_key_jwt</c>: builds client
/// assertions and publishes the public halves at <c>/.well-known/jwks.json</c>.
/// </summary>
public sealed class ClientKeys
{
    private readonly Dictionary<string, (SigningCredentials Credentials, JsonWebKey Public)> _byIssuer = [];
    private readonly Dictionary<string, (SigningCredentials Credentials, JsonWebKey Public)> _backendByIssuer = [];

    public ClientKeys(IOptions<AppOptions> options)
    {
        foreach (var ehr in options.Value.Ehrs.Where(e => e.AuthMethod == ClientAuthMethod.PrivateKeyJwt))
        {
            if (string.IsNullOrWhiteSpace(ehr.SigningKey))
                throw new InvalidOperationException($"App:Ehrs entry for client '{ehr.ClientId}' uses private_key_jwt but has no SigningKey.");
            _byIssuer[AppOptions.Normalise(ehr.Issuer)!] = Load(ehr.SigningKey, ehr.KeyId);
        }
        foreach (var ehr in options.Value.Ehrs.Where(e => e.Backend is not null))
        {
            if (!ehr.Backend!.IsConfigured)
                throw new InvalidOperationException($"App:Ehrs entry for client '{ehr.ClientId}' has a Backend without ClientId or SigningKey.");
            _backendByIssuer[AppOptions.Normalise(ehr.Issuer)!] = Load(ehr.Backend.SigningKey!, ehr.Backend.KeyId);
        }
    }

    private static (SigningCredentials, JsonWebKey) Load(string material, string? keyId)
    {
        SecurityKey key;
        JsonWebKey publicJwk;
        if (material.TrimStart().StartsWith('{'))
        {
            var jwk = new JsonWebKey(material);
            key = jwk;
            publicJwk = jwk.Kty == JsonWebAlgorithmsKeyTypes.EllipticCurve
                ? new JsonWebKey { Kty = jwk.Kty, Crv = jwk.Crv, X = jwk.X, Y = jwk.Y }
                : new JsonWebKey { Kty = jwk.Kty, N = jwk.N, E = jwk.E };
        }
        else if (TryEc(material) is { } ec)
        {
            key = new ECDsaSecurityKey(ec);
            publicJwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(ec.ExportParameters(false))));
        }
        else
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(material);
            key = new RsaSecurityKey(rsa);
            publicJwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)));
        }

        var isEc = publicJwk.Kty == JsonWebAlgorithmsKeyTypes.EllipticCurve;
        // SMART names RS384 and ES384; ES384 is defined on P-384 only.
        if (isEc && publicJwk.Crv != JsonWebKeyECTypes.P384)
            throw new InvalidOperationException("An EC SigningKey must be on curve P-384 (ES384).");
        var algorithm = isEc ? SecurityAlgorithms.EcdsaSha384 : SecurityAlgorithms.RsaSha384;
        var kid = keyId ?? Base64UrlEncoder.Encode(publicJwk.ComputeJwkThumbprint());
        key.KeyId = kid;
        publicJwk.KeyId = kid;
        publicJwk.Alg = algorithm;
        publicJwk.Use = "sig";
        return (new SigningCredentials(key, algorithm), publicJwk);
    }

    private static ECDsa? TryEc(string pem)
    {
        try
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return ec;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            return null;
        }
    }

    /// <summary>A one-time client assertion for the token endpoint (RFC 7523, SMART Backend Services profile).</summary>
    public string Assertion(EhrRegistration ehr, string tokenEndpoint) =>
        Assertion(_byIssuer[AppOptions.Normalise(ehr.Issuer)!].Credentials, ehr.ClientId, tokenEndpoint);

    /// <summary>A one-time client assertion of the EHR's Backend Services client.</summary>
    public string BackendAssertion(EhrRegistration ehr, string tokenEndpoint) =>
        Assertion(_backendByIssuer[AppOptions.Normalise(ehr.Issuer)!].Credentials, ehr.Backend!.ClientId, tokenEndpoint);

    private static string Assertion(SigningCredentials credentials, string clientId, string tokenEndpoint)
    {
        // The EHR checks exp against its own clock: real time, never a test clock.
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = clientId,
            Audience = tokenEndpoint,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = clientId,
                ["jti"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            },
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(4),
            SigningCredentials = credentials,
            AdditionalHeaderClaims = new Dictionary<string, object> { ["typ"] = "JWT" },
        });
    }

    /// <summary>The JWKS document with every public key (no private parameters).</summary>
    public string JwksJson()
    {
        var keys = _byIssuer.Values.Concat(_backendByIssuer.Values).Select(v => v.Public).DistinctBy(k => k.KeyId).Select(k =>
        {
            var d = new Dictionary<string, string?> { ["kty"] = k.Kty, ["kid"] = k.KeyId, ["use"] = k.Use, ["alg"] = k.Alg };
            if (k.Kty == JsonWebAlgorithmsKeyTypes.EllipticCurve)
            {
                d["crv"] = k.Crv;
                d["x"] = k.X;
                d["y"] = k.Y;
            }
            else
            {
                d["n"] = k.N;
                d["e"] = k.E;
            }
            return d;
        });
        return JsonSerializer.Serialize(new { keys });
    }
}
