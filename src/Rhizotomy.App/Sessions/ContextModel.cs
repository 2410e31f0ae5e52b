using Rhizotomy.App.Ehr;
using Rhizotomy.App.Launch;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.App.Sessions;

/// <summary>What the app may do in this launch, from the granted scopes.</summary>
/// <param name="ReadOnly">No note can be filed (DocumentReference create not granted, or re-launch needed).</param>
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
    bool Standalone);

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
    public static ModeFlags ModeOf(LaunchSession s)
    {
        var granted = new GrantedScopes(s.GrantedScope);
        var docRef = granted.CanCreate("DocumentReference");
        return new ModeFlags(
            ReadOnly: !docRef || s.NeedsRelaunch,
            CanWriteDocumentReference: docRef,
            CanWriteProcedure: granted.CanCreate("Procedure"),
            CanWriteComposition: granted.CanCreate("Composition"),
            CanWriteQuestionnaireResponse: granted.CanCreate("QuestionnaireResponse"),
            CanWriteProvenance: granted.CanCreate("Provenance"),
            CanRefresh: s.RefreshToken is not null,
            NeedsRelaunch: s.NeedsRelaunch,
            NeedPatientBanner: s.NeedPatientBanner,
            Standalone: s.Standalone);
    }

    public static ContextModel From(LaunchSession s, string csrfToken) => new(
        s.LaunchId, s.Issuer, s.Chart?.Patient, s.Patient, s.Chart?.Practitioner, s.FhirUser, s.Chart?.Encounter, s.Encounter,
        s.FhirContext, new GrantedScopes(s.GrantedScope).All.ToList(), ModeOf(s), s.SmartStyleUrl, s.Chart?.Evidence,
        s.Chart?.Warnings ?? [], s.Chart is { } c ? new ReadStats(c.RoundTrips, c.ResourcesRead, c.ReadAt) : null, csrfToken,
        s.Chart?.FailedReads ?? []);
}
