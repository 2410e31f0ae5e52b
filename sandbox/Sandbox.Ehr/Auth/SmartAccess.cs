namespace Sandbox.Ehr.Auth;

/// <summary>
/// What a validated access token grants on the FHIR API. The authorization middleware sets it as
/// an <c>HttpContext</c> feature; no feature means no valid token (the FHIR API answers 401).
/// </summary>
/// <param name="Scopes">Granted scopes as strings, v1 or v2 syntax (<c>patient/Condition.rs</c>).</param>
/// <param name="PatientId">Launch patient; a <c>patient/</c> scope reaches only this compartment.</param>
/// <param name="PractitionerId">The signed-in user when it is a Practitioner (from <c>fhirUser</c>).</param>
public sealed record SmartAccess(
    string ClientId,
    IReadOnlyList<string> Scopes,
    string? PatientId,
    string? EncounterId,
    string? PractitionerId);
