using Rhizotomy.App.Sessions;
using Rhizotomy.App.WriteBack;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Prefill;

namespace Rhizotomy.App.Form;

/// <summary>
/// The encounter control of a note whose launch has none: the patient's encounters as read from the EHR, whether the
/// EHR needs one (its write plan), the choice when it is one of the patient's, and what to tell the surgeon.
/// </summary>
/// <param name="Required">The EHR files a note only against an encounter (or its plan cannot be read now: signing waits).</param>
/// <param name="Choices">Newest first; null when the list could not be read.</param>
/// <param name="Chosen">The chosen encounter, known to be the patient's; null when none is (yet).</param>
/// <param name="Posted">What the form carried (kept on the page even when it could not be checked).</param>
/// <param name="Message">What the control says (also listed in the summary after a check); null when nothing.</param>
/// <param name="BlocksSigning">Signing waits: a required choice is missing, the choice is not the patient's, or it cannot be checked.</param>
/// <param name="Note">Said at the control only (nothing to fix on the note): an optional list that cannot be read now.</param>
public sealed record EncounterPick(bool Required, IReadOnlyList<EncounterChoice>? Choices, EncounterChoice? Chosen, string? Posted, FieldMessage? Message, bool BlocksSigning, string? Note = null)
{
    /// <summary>The launch context with the chosen encounter (named in words, so the note says which it is).</summary>
    public LaunchContext Apply(LaunchContext launch) =>
        launch.Encounter is not null || Chosen is null ? launch : launch with { Encounter = new Ref(Chosen.Reference, EncounterLookup.Label(Chosen)) };
}

/// <summary>Builds the <see cref="EncounterPick"/> of a note page (its control is <c>Components/Form/EncounterControl.razor</c>).</summary>
public sealed class EncounterPicker(EncounterLookup lookup, WritePlanner planner)
{
    public const string MissingText = "Choose the encounter this operation belongs to";

    public const string UnreadableText = "The patient's encounters could not be read from the EHR just now, so the note cannot be signed yet. "
        + "You can keep writing and check the note; check it again in a moment to choose the encounter (what you typed is kept).";

    public const string OptionalUnreadableText = "The patient's encounters could not be read from the EHR just now. This EHR takes a note without one; "
        + "to file it against an encounter, check the note again in a moment and choose it.";

    public const string NotThePatientsText = "The encounter chosen is not one of this patient's encounters: choose one from the list.";

    public const string NoneOnRecordText = "The EHR has no encounter for this patient, and it files a note only against one: "
        + "ask for the encounter to be opened in the EHR, then check the note again (what you typed is kept).";

    /// <summary>
    /// The pick for this launch and form; null when the launch has an encounter (it is the note's, and no picker is shown).
    /// A missing required choice is said only after a check (<paramref name="checkedNow"/>), like every other required answer.
    /// </summary>
    public async Task<EncounterPick?> PickAsync(LaunchSession session, FormState state, bool checkedNow, CancellationToken ct)
    {
        if (session.Encounter is not null)
            return null;
        var planRead = planner.PlanAsync(session.Issuer, ct);
        var listRead = lookup.TryListAsync(session, ct);
        var plan = await planRead;
        var list = await listRead;
        // No plan means the EHR's statement could not be read: whether it needs an encounter is unknown, so it is asked for.
        var required = plan?.RequiresEncounter ?? true;
        var posted = state.Encounter;
        if (list is null)
        {
            // A choice that cannot be checked, or one the EHR needs: signing waits. Otherwise the note is complete without one,
            // and the check stays clean (a quiet note at the control, nothing in the summary).
            return required || posted is not null
                ? new EncounterPick(required, null, null, posted, new FieldMessage(FormState.EncounterField, true, UnreadableText), true)
                : new EncounterPick(false, null, null, null, null, false, OptionalUnreadableText);
        }

        // An encounter entered in error is no encounter to file against.
        var choices = EncounterLookup.NewestFirst(list.Where(c => c.Status != "entered-in-error"));
        if (posted is not null)
        {
            var chosen = choices.FirstOrDefault(c => c.Reference == posted) ?? await lookup.FindOfPatientAsync(session, posted, ct);
            return chosen is null || chosen.Status == "entered-in-error"
                ? new EncounterPick(required, choices, null, posted, new FieldMessage(FormState.EncounterField, true, NotThePatientsText), true)
                : new EncounterPick(required, choices, chosen, posted, null, false);
        }
        if (!required)
            return new EncounterPick(false, choices, null, null, null, false);
        if (choices.Count == 0)
            return new EncounterPick(true, choices, null, null, new FieldMessage(FormState.EncounterField, true, NoneOnRecordText), true);
        return new EncounterPick(true, choices, null, null, checkedNow ? new FieldMessage(FormState.EncounterField, true, MissingText) : null, true);
    }
}
