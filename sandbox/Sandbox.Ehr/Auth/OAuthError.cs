using Microsoft.AspNetCore.Authentication;
using OpenIddict.Server.AspNetCore;

namespace Sandbox.Ehr.Auth;

internal static class OAuthError
{
    /// <summary>Lets OpenIddict answer with a standard OAuth error (redirect or JSON, as the endpoint calls for).</summary>
    public static IResult Reject(string error, string description) =>
        Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
