using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Sandbox.Ehr.Auth;

/// <summary>
/// The token endpoint after OpenIddict validated the request (client authentication, PKCE, code
/// and refresh token redemption): it re-issues the authorized principal with its launch context.
/// </summary>
internal static class TokenEndpoint
{
    public static void MapTokenEndpoint(this WebApplication app) =>
        app.MapPost(SmartUrls.TokenPath, HandleAsync).ExcludeFromDescription();

    private static async Task<IResult> HandleAsync(HttpContext http, SmartClients clients, SmartUrls urls, Microsoft.Extensions.Options.IOptions<SandboxAuthOptions> options)
    {
        var request = http.GetOpenIddictServerRequest();
        if (request is null)
        {
            return Results.BadRequest();
        }

        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            if (result.Principal is not { Identity: ClaimsIdentity authorized })
            {
                return OAuthError.Reject(Errors.InvalidGrant, "The grant is no longer valid.");
            }

            var identity = new ClaimsIdentity(authorized.Claims, authorized.AuthenticationType, Claims.Name, Claims.Role);
            TokenClaims.SetDestinations(identity);
            return Results.SignIn(new ClaimsPrincipal(identity),
                new AuthenticationProperties(new Dictionary<string, string?>(), TokenClaims.LaunchParameters(identity)),
                OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        if (request.IsClientCredentialsGrantType())
        {
            // Backend Services: the client is the subject; only system/ scopes make sense here.
            var client = clients.Find(request.ClientId);
            var granted = client is null
                ? []
                : SmartClients.Narrow(request.GetScopes(), client).Where(scope => scope.StartsWith("system/", StringComparison.Ordinal)).ToList();
            if (granted.Count == 0)
            {
                return OAuthError.Reject(Errors.InvalidScope, "No requested system/ scope is allowed for this client.");
            }

            var identity = TokenClaims.NewIdentity();
            identity.SetClaim(Claims.Subject, request.ClientId);
            identity.SetScopes(granted);
            // A Backend Services token reaches every FHIR server this one authorizes for (Sandbox:ExternalFhirBases).
            string[] audiences = [urls.FhirBase(http), .. options.Value.ExternalFhirBases.Select(b => b.TrimEnd('/'))];
            identity.SetResources(audiences);
            TokenClaims.SetDestinations(identity);
            return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        return OAuthError.Reject(Errors.UnsupportedGrantType, "This grant type is not supported.");
    }
}
