using Rhizotomy.App.Ehr;
using Rhizotomy.App.Launch;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.App.Sessions;

/// <summary>What the app may do in this launch, from the granted scopes.</summary>
/// <param name="ReadOnly">No note can be filed (the signed-in user is not a practitioner, DocumentReference create not granted, or re-launch needed).</param>
/// <param name="ReadOnlyReason">Why, in a sentence for the page (null when not read-only).</param>
public sealed record ModeFlags(
    bool ReadOnly,
    bool CanWriteDocumentReference,
    bool CanWriteProcedure,
    bool CanWriteComposition,
    bool CanWriteQuestionnaireResponse,
    bool CanWriteProvenance,
    bool CanRefresh,
    bool NeedsRelaunch,
    bool NeedPatientBanner,
    bool Standalone,
    string? ReadOnlyReason = null);

/// <summary>How the chart was read: requests made (round trips) and resources received.</summary>
public sealed record ReadStats(int RoundTrips, int ResourcesRead, DateTimeOffset ReadAt);

/// <summary>The body of <c>GET /api/context</c>. No token in it, ever.</summary>
/// <param name="Warnings">Sentences about the chart read, for people.</param>
/// <param name="FailedReads">What the EHR failed to give (<c>reports</c>, <c>the encounter</c>), for code: the chart shown is incomplete.</param>
public sealed record ContextModel(
    string LaunchId,
    string Issuer,
    PersonSummary? Patient,
    string? PatientId,
    PersonSummary? Practitioner,
    string? FhirUser,
    EncounterSummary? Encounter,
    string? EncounterId,
    IReadOnlyList<string> FhirContext,
    IReadOnlyList<string> GrantedScopes,
    ModeFlags Mode,
    string? SmartStyleUrl,
    CaseEvidence? Evidence,
    IReadOnlyList<string> Warnings,
    ReadStats? Chart,
    string CsrfToken,
    IReadOnlyList<string> FailedReads)
{
    /// <summary>Said on the pages of a launch whose signed-in user is not a practitioner (a patient's standalone launch, a related person).</summary>
    public const string NotPractitionerNotice =
        "Read-only: you are signed in as a patient or a related person, not as a practitioner. Operative notes are signed by the surgeon; you can review the chart and the note, but not sign it.";

    /// <summary>True when the launch's <c>fhirUser</c> is a Practitioner of the EHR (as the callback keeps it, relative): only they sign notes.</summary>
    public static bool IsPractitioner(string? fhirUser) => fhirUser?.StartsWith("Practitioner/", StringComparison.Ordinal) == true;

    public static ModeFlags ModeOf(LaunchSession s)
    {
        var granted = new GrantedScopes(s.GrantedScope);
        var docRef = granted.CanCreate("DocumentReference");
        var practitioner = IsPractitioner(s.FhirUser);
        return new ModeFlags(
            ReadOnly: !practitioner || !docRef || s.NeedsRelaunch,
            CanWriteDocumentReference: docRef,
            CanWriteProcedure: granted.CanCreate("Procedure"),
            CanWriteComposition: granted.CanCreate("Composition"),
            CanWriteQuestionnaireResponse: granted.CanCreate("QuestionnaireResponse"),
            CanWriteProvenance: granted.CanCreate("Provenance"),
            CanRefresh: s.RefreshToken is not null,
            NeedsRelaunch: s.NeedsRelaunch,
            NeedPatientBanner: s.NeedPatientBanner,
            Standalone: s.Standalone,
            ReadOnlyReason: !practitioner ? NotPractitionerNotice : !docRef ? Ui.Pages.ReadOnlyNotice : null);
    }

    public static ContextModel From(LaunchSession s, string csrfToken) => new(
        s.LaunchId, s.Issuer, s.Chart?.Patient, s.Patient, s.Chart?.Practitioner, s.FhirUser, s.Chart?.Encounter, s.Encounter,
        s.FhirContext, new GrantedScopes(s.GrantedScope).All.ToList(), ModeOf(s), s.SmartStyleUrl, s.Chart?.Evidence,
        s.Chart?.Warnings ?? [], s.Chart is { } c ? new ReadStats(c.RoundTrips, c.ResourcesRead, c.ReadAt) : null, csrfToken,
        s.Chart?.FailedReads ?? []);
}
