namespace Sandbox.Ehr.Auth;

/// <summary>The <c>Sandbox</c> configuration section, as the authorization server and launcher read it.</summary>
public sealed class SandboxAuthOptions
{
    public const string Section = "Sandbox";

    /// <summary>Origin the sandbox is reached at (issuer, FHIR base <c>{origin}/fhir</c>). Empty: taken from each request.</summary>
    public string? PublicOrigin { get; set; }

    /// <summary><c>file</c> (SQLite file in <see cref="DataFolder"/>) or <c>memory</c> (kept-open in-memory SQLite, for tests).</summary>
    public string Storage { get; set; } = "file";

    public string DataFolder { get; set; } = "data";

    /// <summary>When true the authorize step shows no screen (launch and standalone work with <c>curl -L</c>).</summary>
    public bool AutoApprove { get; set; } = true;

    /// <summary>Patient chosen for a standalone <c>launch/patient</c> request when <see cref="AutoApprove"/> is on.</summary>
    public string StandalonePatient { get; set; } = "classic-left";

    /// <summary>User signed in for a standalone launch when <see cref="AutoApprove"/> is on.</summary>
    public string StandalonePractitioner { get; set; } = "surgeon-1";

    /// <summary>
    /// Who signs in on a standalone launch: <c>practitioner</c> (default) or <c>patient</c> (a
    /// patient-facing launch: <c>fhirUser</c> is the patient, only <c>patient/</c> scopes are granted).
    /// </summary>
    public string StandaloneUser { get; set; } = "practitioner";

    public bool PatientSignsInStandalone => string.Equals(StandaloneUser, "patient", StringComparison.OrdinalIgnoreCase);

    /// <summary>Default <c>need_patient_banner</c> of an EHR launch (the launcher can say the EHR shows its own banner).</summary>
    public bool NeedPatientBanner { get; set; } = true;

    public int AccessTokenMinutes { get; set; } = 60;

    public int LaunchContextMinutes { get; set; } = 10;

    /// <summary>Origin of the app the default client registrations point at (redirect URI, launch URL, JWKS URL).</summary>
    public string AppOrigin { get; set; } = SmartClientRegistration.DefaultAppOrigin;

    /// <summary>Client registrations; they add to (or replace, by client id) <see cref="SmartClientRegistration.Defaults"/>.</summary>
    public List<SmartClientRegistration> Clients { get; set; } = [];

    /// <summary>
    /// FHIR bases of other servers this authorization server serves as the hospital's (an independent FHIR server in the
    /// tests): an <c>aud</c> naming one of them is accepted, its tokens carry it as audience and <c>fhirUser</c> under it,
    /// and the launcher can launch the app with it as <c>iss</c>. Empty: only the sandbox's own FHIR base.
    /// </summary>
    public List<string> ExternalFhirBases { get; set; } = [];

    /// <summary>The FHIR base <paramref name="aud"/> names: the sandbox's own (<paramref name="own"/>) or one of <see cref="ExternalFhirBases"/>; else null.</summary>
    public string? FhirBaseFor(string? aud, string own) =>
        SmartUrls.SameUrl(aud, own) ? own : ExternalFhirBases.FirstOrDefault(b => SmartUrls.SameUrl(aud, b))?.TrimEnd('/');

    public bool InMemory => string.Equals(Storage, "memory", StringComparison.OrdinalIgnoreCase);
}
