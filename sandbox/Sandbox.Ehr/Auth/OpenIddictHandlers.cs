using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Sandbox.Ehr.Auth;

/// <summary>
/// SMART Backend Services rules OpenIddict leaves to the server: a client assertion carries a
/// <c>jti</c> used once, and expires no more than five minutes after it is presented.
/// </summary>
public sealed class ClientAssertionReplayGuard(TimeProvider time) : IOpenIddictServerHandler<ProcessAuthenticationContext>
{
    private static readonly TimeSpan MaximumLifetime = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
            .AddFilter<OpenIddictServerHandlerFilters.RequireClientAssertionPrincipal>()
            .UseSingletonHandler<ClientAssertionReplayGuard>()
            .SetOrder(OpenIddictServerHandlers.ValidateClientId.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        var principal = context.ClientAssertionPrincipal!;
        var now = time.GetUtcNow();

        var jti = principal.GetClaim(Claims.JwtId);
        if (string.IsNullOrEmpty(jti))
        {
            context.Reject(Errors.InvalidClient, "The client assertion must carry a jti.");
            return default;
        }

        if (!long.TryParse(principal.GetClaim(Claims.ExpiresAt), NumberStyles.Integer, CultureInfo.InvariantCulture, out var exp) ||
            DateTimeOffset.FromUnixTimeSeconds(exp) > now + MaximumLifetime + ClockSkew)
        {
            context.Reject(Errors.InvalidClient, "The client assertion must expire within five minutes.");
            return default;
        }

        foreach (var expired in _seen.Where(pair => pair.Value < now - ClockSkew).Select(pair => pair.Key).ToList())
        {
            _seen.TryRemove(expired, out _);
        }

        var issuer = principal.GetClaim(Claims.Issuer) ?? "";
        if (!_seen.TryAdd(issuer + "\n" + jti, DateTimeOffset.FromUnixTimeSeconds(exp)))
        {
            context.Reject(Errors.InvalidClient, "The client assertion jti was already used.");
        }

        return default;
    }
}

/// <summary>
/// Adds the keys a client publishes at its configured <c>jwks_uri</c> to those OpenIddict checks a
/// client assertion against (OpenIddict only knows inline key sets).
/// </summary>
public sealed class ClientJwksResolver(SmartClients clients, IHttpClientFactory httpClients, TimeProvider time)
    : IOpenIddictServerHandler<ValidateTokenContext>
{
    public const string HttpClientName = "client-jwks";
    private static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, (DateTimeOffset Fetched, IList<SecurityKey> Keys)> _cache = new(StringComparer.Ordinal);

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        CustomHandler.Descriptor<ValidateTokenContext, ClientJwksResolver>(OpenIddictServerHandlers.Protection.ResolveTokenValidationParameters.Descriptor.Order + 1);

    public async ValueTask HandleAsync(ValidateTokenContext context)
    {
        if (!context.ValidTokenTypes.Contains(TokenTypeIdentifiers.Private.ClientAssertion) || string.IsNullOrEmpty(context.Token))
        {
            return;
        }

        var clientId = context.Request?.ClientId;
        if (string.IsNullOrEmpty(clientId))
        {
            var handler = new JsonWebTokenHandler();
            clientId = handler.CanReadToken(context.Token) ? handler.ReadJsonWebToken(context.Token).Issuer : null;
        }

        if (clients.Find(clientId)?.JwksUri is not { Length: > 0 } jwksUri)
        {
            return;
        }

        var keys = await FetchAsync(jwksUri, context.CancellationToken);
        var parameters = context.TokenValidationParameters;
        var registered = parameters.IssuerSigningKeyResolver;
        parameters.IssuerSigningKeys = [.. parameters.IssuerSigningKeys ?? [], .. keys];
        parameters.IssuerSigningKeyResolver = (token, securityToken, kid, validationParameters) =>
            [.. registered?.Invoke(token, securityToken, kid, validationParameters) ?? [], .. keys];
    }

    private async Task<IList<SecurityKey>> FetchAsync(string jwksUri, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(jwksUri, out var cached) && now - cached.Fetched < CacheFor)
        {
            return cached.Keys;
        }

        try
        {
            var json = await httpClients.CreateClient(HttpClientName).GetStringAsync(new Uri(jwksUri), cancellationToken);
            var keys = new JsonWebKeySet(json).GetSigningKeys();
            _cache[jwksUri] = (now, keys);
            return keys;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or ArgumentException)
        {
            // An unreachable or malformed key set means the assertion cannot be verified: no keys.
            return [];
        }
    }
}

/// <summary>
/// SMART's <c>online_access</c> also earns a refresh token (OpenIddict only issues one for
/// <c>offline_access</c>).
/// </summary>
public sealed class OnlineAccessRefreshTokens : IOpenIddictServerHandler<ProcessSignInContext>
{
    public const string OnlineAccess = "online_access";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        CustomHandler.Descriptor<ProcessSignInContext, OnlineAccessRefreshTokens>(OpenIddictServerHandlers.EvaluateGeneratedTokens.Descriptor.Order + 1);

    public ValueTask HandleAsync(ProcessSignInContext context)
    {
        if (context.EndpointType is OpenIddictServerEndpointType.Token &&
            (context.Request.IsAuthorizationCodeGrantType() || context.Request.IsRefreshTokenGrantType()) &&
            context.Principal?.HasScope(OnlineAccess) == true)
        {
            context.GenerateRefreshToken = true;
            context.IncludeRefreshToken = true;
        }

        return default;
    }
}

/// <summary>Introspection also tells the scopes and launch context (patient, encounter, fhirUser) of a token.</summary>
public sealed class IntrospectionLaunchClaims : IOpenIddictServerHandler<HandleIntrospectionRequestContext>
{
    private static readonly string[] ClaimTypes = [SmartClaims.Patient, SmartClaims.Encounter, SmartClaims.FhirUser];

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        CustomHandler.Descriptor<HandleIntrospectionRequestContext, IntrospectionLaunchClaims>(OpenIddictServerHandlers.Introspection.AttachApplicationClaims.Descriptor.Order + 1);

    public ValueTask HandleAsync(HandleIntrospectionRequestContext context)
    {
        if (context.GenericTokenPrincipal is not { } principal)
        {
            return default;
        }

        // OpenIddict tells scopes only to a token's audiences; SMART resource servers and the
        // client that holds the token both need them.
        if (context.Scopes.Count == 0)
        {
            context.Scopes.UnionWith(principal.GetScopes());
        }

        foreach (var type in ClaimTypes)
        {
            if (principal.GetClaim(type) is { Length: > 0 } value)
            {
                context.Claims[type] = new OpenIddictParameter(value);
            }
        }

        return default;
    }
}

/// <summary>
/// SMART Backend Services clients type their assertions <c>JWT</c> (as the SMART specification
/// shows); OpenIddict expects <c>client-authentication+jwt</c>. Accept both, for client assertions only
/// (they are verified against the client's own keys, so no server-issued JWT can pass as one).
/// </summary>
public sealed class GenericJwtClientAssertions : IOpenIddictServerHandler<ValidateTokenContext>
{
    private const string GenericJwtType = "JWT";

    public static OpenIddictServerHandlerDescriptor BeforeValidation { get; } =
        CustomHandler.Descriptor<ValidateTokenContext, GenericJwtClientAssertions>(OpenIddictServerHandlers.Protection.ValidateIdentityModelToken.Descriptor.Order - 1);

    public static OpenIddictServerHandlerDescriptor AfterValidation { get; } =
        CustomHandler.Descriptor<ValidateTokenContext, GenericJwtClientAssertions>(OpenIddictServerHandlers.Protection.ValidateIdentityModelToken.Descriptor.Order + 1);

    public ValueTask HandleAsync(ValidateTokenContext context)
    {
        if (!CustomHandler.ValidatesOnlyClientAssertions(context))
        {
            return default;
        }

        if (context.Principal is null)
        {
            if (context.TokenValidationParameters.ValidTypes is { } types && !types.Contains(GenericJwtType))
            {
                context.TokenValidationParameters.ValidTypes = [.. types, GenericJwtType];
            }
        }
        else if (context.Principal.GetTokenType() is null or TokenTypeIdentifiers.IdentityToken)
        {
            // OpenIddict reads a generic "JWT" as an id_token; signed with the client's key, it is its assertion.
            context.Principal.SetTokenType(TokenTypeIdentifiers.Private.ClientAssertion);
        }

        return default;
    }
}

/// <summary>
/// SMART clients address their assertion to the token endpoint URL (<c>aud</c>); OpenIddict 7 expects
/// the issuer. Both are accepted.
/// </summary>
public sealed class TokenEndpointAssertionAudience : IOpenIddictServerHandler<ValidateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        CustomHandler.Descriptor<ValidateTokenContext, TokenEndpointAssertionAudience>(OpenIddictServerHandlers.Protection.ValidateAudiences.Descriptor.Order - 1);

    public ValueTask HandleAsync(ValidateTokenContext context)
    {
        if (!CustomHandler.ValidatesOnlyClientAssertions(context))
        {
            return default;
        }

        foreach (var baseUri in new[] { context.Options.Issuer, context.BaseUri }.OfType<Uri>())
        {
            var tokenEndpoint = new Uri(baseUri, SmartUrls.TokenPath).AbsoluteUri;
            context.ValidAudiences.Add(tokenEndpoint);
            context.ValidAudiences.Add(baseUri.AbsoluteUri);
            context.ValidAudiences.Add(baseUri.AbsoluteUri.TrimEnd('/'));
        }

        return default;
    }
}

/// <summary>
/// OpenIddict takes the issuer of an unconfigured server from the request's <c>Host</c>: use the
/// sandbox's own origin instead (<see cref="SmartUrls.Origin"/>), so tokens and discovery never carry
/// an arbitrary host.
/// </summary>
public sealed class IssuerFromSandboxOrigin(SmartUrls urls) : IOpenIddictServerHandler<ProcessRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        CustomHandler.Descriptor<ProcessRequestContext, IssuerFromSandboxOrigin>(OpenIddict.Server.AspNetCore.OpenIddictServerAspNetCoreHandlers.ResolveRequestUri.Descriptor.Order + 1);

    public ValueTask HandleAsync(ProcessRequestContext context)
    {
        if (Microsoft.AspNetCore.OpenIddictServerAspNetCoreHelpers.GetHttpRequest(context.Transaction) is { HttpContext: { } http } request)
        {
            // Both, so that OpenIddict still recognises its endpoints under the replaced origin.
            var origin = urls.Origin(http);
            context.BaseUri = new Uri(origin + "/");
            context.RequestUri = new Uri(origin + request.Path + request.QueryString);
        }

        return default;
    }
}

/// <summary>The same origin for token validation on <c>/fhir</c>: a token is checked against the sandbox's issuer, whatever <c>Host</c> the request carries.</summary>
public sealed class ValidationIssuerFromSandboxOrigin(SmartUrls urls) : OpenIddict.Validation.IOpenIddictValidationHandler<OpenIddict.Validation.OpenIddictValidationEvents.ProcessRequestContext>
{
    public static OpenIddict.Validation.OpenIddictValidationHandlerDescriptor Descriptor { get; } =
        OpenIddict.Validation.OpenIddictValidationHandlerDescriptor.CreateBuilder<OpenIddict.Validation.OpenIddictValidationEvents.ProcessRequestContext>()
            .UseSingletonHandler<ValidationIssuerFromSandboxOrigin>()
            .SetOrder(OpenIddict.Validation.AspNetCore.OpenIddictValidationAspNetCoreHandlers.ResolveRequestUri.Descriptor.Order + 1)
            .SetType(OpenIddict.Validation.OpenIddictValidationHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddict.Validation.OpenIddictValidationEvents.ProcessRequestContext context)
    {
        if (Microsoft.AspNetCore.OpenIddictValidationAspNetCoreHelpers.GetHttpRequest(context.Transaction) is { HttpContext: { } http })
        {
            context.BaseUri = new Uri(urls.Origin(http) + "/");
        }

        return default;
    }
}

/// <summary>What the custom handlers above share.</summary>
internal static class CustomHandler
{
    /// <summary>A singleton custom handler placed at <paramref name="order"/> in OpenIddict's pipeline.</summary>
    public static OpenIddictServerHandlerDescriptor Descriptor<TContext, THandler>(int order)
        where TContext : OpenIddictServerEvents.BaseContext
        where THandler : class, IOpenIddictServerHandler<TContext> =>
        OpenIddictServerHandlerDescriptor.CreateBuilder<TContext>()
            .UseSingletonHandler<THandler>()
            .SetOrder(order)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    /// <summary>The token being validated can only be a client assertion (not an access, refresh or id token).</summary>
    public static bool ValidatesOnlyClientAssertions(ValidateTokenContext context) =>
        context.ValidTokenTypes.Count == 1 && context.ValidTokenTypes.Contains(TokenTypeIdentifiers.Private.ClientAssertion);
}
