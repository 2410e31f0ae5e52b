using Rhizotomy.App.Sessions;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Prefill;

namespace Rhizotomy.App.Form;

/// <summary>What a note takes from the launch session: who, where, and the chart's case evidence.</summary>
public static class NoteSession
{
    public static readonly CaseEvidence NoEvidence = new([], [], [], [], []);

    public static CaseEvidence Evidence(LaunchSession session) => session.Chart?.Evidence ?? NoEvidence;

    /// <summary>The launch context of a new note; null (with the reason) when the launch lacks a patient or a signed-in practitioner.</summary>
    public static LaunchContext? Launch(LaunchSession session, DateTimeOffset now, out string? missing)
    {
        missing = null;
        if (string.IsNullOrEmpty(session.Patient))
        {
            missing = "This launch has no patient in context: open the app from a patient's chart.";
            return null;
        }
        if (string.IsNullOrEmpty(session.FhirUser))
        {
            missing = "This launch does not say who is signed in (no fhirUser): the note needs its author. Launch again with the openid and fhirUser scopes.";
            return null;
        }
        // Named in words from the chart, only where the chart's record is the launch's own.
        var chart = session.Chart;
        var patient = PatientReference(session)!;
        var encounter = session.Encounter is null ? null : "Encounter/" + session.Encounter;
        return new LaunchContext(
            new Ref(patient, chart?.Patient is { } p && p.Reference == patient ? p.Name : null),
            encounter is null ? null : new Ref(encounter, chart?.Encounter is { } e && e.Reference == encounter ? e.Type : null),
            new Ref(session.FhirUser, chart?.Practitioner is { } s && s.Reference == session.FhirUser ? s.Name : null),
            now);
    }

    /// <summary>
    /// The note's context, one for the preview and the filed note so that what the surgeon previewed is what is filed:
    /// the launch's people in words and the patient's birth date from the chart.
    /// </summary>
    public static NoteContext Context(LaunchSession session, LaunchContext launch, string noteId, string custodian, DateTimeOffset signedAt) =>
        new(noteId, launch.Patient, launch.Encounter, launch.Surgeon, new Ref(custodian), signedAt,
            session.Chart?.Patient is { } p && p.Reference == launch.Patient.Reference ? p.BirthDate : null);

    public static string? PatientReference(LaunchSession session) => session.Patient is null ? null : "Patient/" + session.Patient;
}
