using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Sandbox.Ehr.Auth;

/// <summary>Where each claim goes (access token, id_token) and which launch context rides on the token response.</summary>
internal static class TokenClaims
{
    public static ClaimsIdentity NewIdentity() =>
        new(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);

    public static void SetDestinations(ClaimsIdentity identity)
    {
        var fhirUserInIdToken = identity.HasScope(Scopes.OpenId) && identity.HasScope(SmartClaims.FhirUser);
        identity.SetDestinations(claim => claim.Type switch
        {
            Claims.Subject => [Destinations.AccessToken, Destinations.IdentityToken],
            SmartClaims.FhirUser when fhirUserInIdToken => [Destinations.AccessToken, Destinations.IdentityToken],
            SmartClaims.FhirUser or SmartClaims.Patient or SmartClaims.Encounter => [Destinations.AccessToken],
            // The rest (banner, style) is kept in the code and refresh token for the token response only.
            _ => [],
        });
    }

    /// <summary>SMART launch context parameters of the token response, from the authorized principal.</summary>
    public static Dictionary<string, object?> LaunchParameters(ClaimsIdentity identity)
    {
        var parameters = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (identity.GetClaim(SmartClaims.Patient) is { Length: > 0 } patient)
        {
            parameters[SmartClaims.Patient] = patient;
        }

        if (identity.GetClaim(SmartClaims.Encounter) is { Length: > 0 } encounter)
        {
            parameters[SmartClaims.Encounter] = encounter;
            // SMART 2.2 fhirContext: an array of objects, each with a relative reference.
            parameters["fhirContext"] = JsonSerializer.SerializeToElement(new[] { new Dictionary<string, string> { ["reference"] = "Encounter/" + encounter } });
        }

        if (identity.GetClaim(SmartClaims.NeedPatientBanner) is { Length: > 0 } banner)
        {
            parameters[SmartClaims.NeedPatientBanner] = string.Equals(banner, "true", StringComparison.Ordinal);
        }

        if (identity.GetClaim(SmartClaims.SmartStyleUrl) is { Length: > 0 } style)
        {
            parameters[SmartClaims.SmartStyleUrl] = style;
        }

        return parameters;
    }
}
