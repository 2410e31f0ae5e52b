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
        var chart = session.Chart;
        return new LaunchContext(
            new Ref(PatientReference(session)!, chart?.Patient?.Name),
            session.Encounter is null ? null : new Ref("Encounter/" + session.Encounter, chart?.Encounter?.Type),
            new Ref(session.FhirUser, chart?.Practitioner?.Name),
            now);
    }

    public static string? PatientReference(LaunchSession session) => session.Patient is null ? null : "Patient/" + session.Patient;
}
