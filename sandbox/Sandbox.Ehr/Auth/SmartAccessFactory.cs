using System.Security.Claims;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Sandbox.Ehr.Auth;

/// <summary>The claims the sandbox puts in its access tokens so that <see cref="SmartAccess"/> can be rebuilt.</summary>
public static class SmartClaims
{
    public const string Patient = "patient";
    public const string Encounter = "encounter";
    public const string FhirUser = "fhirUser";
    public const string NeedPatientBanner = "need_patient_banner";
    public const string SmartStyleUrl = "smart_style_url";
    public const string Practitioner = "sandbox_practitioner";
}

internal static class SmartAccessFactory
{
    public static SmartAccess FromPrincipal(ClaimsPrincipal principal)
    {
        var clientId = principal.GetClaim(Claims.ClientId) ?? principal.GetPresenters().FirstOrDefault() ?? "";
        return new SmartAccess(
            clientId,
            [.. principal.GetScopes()],
            principal.GetClaim(SmartClaims.Patient),
            principal.GetClaim(SmartClaims.Encounter),
            principal.GetClaim(SmartClaims.Practitioner) ?? PractitionerFromFhirUser(principal.GetClaim(SmartClaims.FhirUser)));
    }

    private static string? PractitionerFromFhirUser(string? fhirUser)
    {
        const string Marker = "Practitioner/";
        var index = fhirUser?.LastIndexOf(Marker, StringComparison.Ordinal) ?? -1;
        return index < 0 ? null : fhirUser![(index + Marker.Length)..];
    }
}
