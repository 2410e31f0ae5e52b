using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Rhizotomy.App.Launch;

/// <summary>
/// Validates an EHR's id_token (signature against the issuer's JWKS, issuer, audience, expiry,
/// nonce) and returns its <c>fhirUser</c> claim.
/// </summary>
public sealed class IdTokenValidator(IHttpClientFactory http, IMemoryCache cache)
{
    /// <summary>The validated token's <c>fhirUser</c> (may be null when the claim is absent).</summary>
    /// <exception cref="SecurityTokenException">The token is not valid.</exception>
    public async Task<string?> ValidateAsync(string idToken, EhrRegistration ehr, SmartConfiguration config, string nonce, CancellationToken ct)
    {
        if (config.JwksUri is null)
            throw new SecurityTokenException("The EHR publishes no JWKS to check its id_token.");

        var result = await ValidateWithKeysAsync(idToken, ehr, config, await KeysAsync(config.JwksUri, refresh: false, ct));
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
            result = await ValidateWithKeysAsync(idToken, ehr, config, await KeysAsync(config.JwksUri, refresh: true, ct));
        if (!result.IsValid)
            throw new SecurityTokenException("The id_token is not valid: " + (result.Exception?.GetType().Name ?? "unknown"));

        var token = (JsonWebToken)result.SecurityToken;
        if (!token.TryGetPayloadValue<string>("nonce", out var got) || !Sessions.SessionStore.FixedTimeEquals(got, nonce))
            throw new SecurityTokenException("The id_token nonce does not match the request.");
        return token.TryGetPayloadValue<string>("fhirUser", out var fhirUser) ? fhirUser : null;
    }

    private static Task<TokenValidationResult> ValidateWithKeysAsync(string idToken, EhrRegistration ehr, SmartConfiguration config, IList<SecurityKey> keys)
    {
        var issuers = new List<string>();
        if (config.Issuer is not null)
            issuers.Add(config.Issuer);
        else
            issuers.AddRange([ehr.Issuer, ehr.Issuer.TrimEnd('/') + "/"]);
        return new JsonWebTokenHandler().ValidateTokenAsync(idToken, new TokenValidationParameters
        {
            ValidIssuers = issuers,
            ValidAudience = ehr.ClientId,
            IssuerSigningKeys = keys,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromMinutes(2),
        });
    }

    private async Task<IList<SecurityKey>> KeysAsync(string jwksUri, bool refresh, CancellationToken ct)
    {
        var key = "jwks:" + jwksUri;
        if (!refresh && cache.TryGetValue(key, out IList<SecurityKey>? cached) && cached is not null)
            return cached;
        var json = await http.CreateClient(SmartDiscovery.HttpClientName).GetStringAsync(new Uri(jwksUri), ct);
        var keys = new JsonWebKeySet(json).GetSigningKeys();
        cache.Set(key, keys, TimeSpan.FromHours(1));
        return keys;
    }
}
