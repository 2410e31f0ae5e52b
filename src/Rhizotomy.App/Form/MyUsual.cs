using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.App.Sessions;
using Rhizotomy.App.WriteBack;
using Rhizotomy.Core.Templates;

namespace Rhizotomy.App.Form;

/// <summary>
/// "My usual" on the note page: the surgeon's technique, closure and plan answers from their previous signed note of the
/// same template (same EHR and surgeon, any patient: it is the surgeon's habit), from the app's own store. Which items
/// it fills is template data (<see cref="UsualAnswers"/>); an item the surgeon has already answered keeps its answer; each
/// filled item is marked "my usual" until the surgeon touches or changes it.
/// </summary>
public sealed class MyUsual(Outbox outbox, ILogger<MyUsual> log)
{
    /// <summary>How many of the surgeon's latest notes are looked at for one of this template.</summary>
    public const int NotesLookedAt = 20;

    /// <summary>The completed template of this surgeon's latest signed note of <paramref name="template"/>, or null.</summary>
    public async Task<QuestionnaireResponse?> PreviousAsync(LaunchSession session, Questionnaire template, CancellationToken ct) =>
        (await ResponsesAsync(session, ct)).FirstOrDefault(r => NotePage.SameTemplate(r.Questionnaire, template));

    /// <summary>The templates (canonical URLs) this surgeon has a previous signed note of: the case page offers "with my usual" for them.</summary>
    public async Task<IReadOnlySet<string>> TemplatesAsync(LaunchSession session, CancellationToken ct) =>
        (await ResponsesAsync(session, ct)).Select(r => r.Questionnaire?.Split('|')[0]).OfType<string>().ToHashSet(StringComparer.Ordinal);

    // The filled templates of the surgeon's latest notes, newest first.
    private async Task<List<QuestionnaireResponse>> ResponsesAsync(LaunchSession session, CancellationToken ct)
    {
        var responses = new List<QuestionnaireResponse>();
        if (session.FhirUser is null)
            return responses;
        foreach (var note in await outbox.LatestOfSurgeonAsync(Outbox.SurgeonKey(session), NotesLookedAt, ct))
        {
            if (outbox.Unprotect<NotePayload>(note.Payload) is not { } payload || payload.Surgeon != session.FhirUser)
                continue;
            Bundle bundle;
            try
            {
                bundle = payload.ReadBundle();
            }
            catch (DeserializationFailedException)
            {
                log.LogWarning("My usual: the stored note {NoteId} could not be read", note.Id);
                continue;
            }
            if (bundle.Entry.Select(e => e.Resource).OfType<QuestionnaireResponse>().FirstOrDefault() is { } response)
                responses.Add(response);
        }
        return responses;
    }

    /// <summary>
    /// Fills the carried items of <paramref name="state"/> from <paramref name="previous"/> (an item answered already, other than
    /// by the template's default, keeps its answer) and marks each; returns how many items it filled.
    /// </summary>
    public static int Apply(Questionnaire template, FormState state, QuestionnaireResponse previous)
    {
        var before = FormState.FromResponse(template, previous);
        var filled = 0;
        foreach (var (target, source, _) in UsualAnswers.From(template, previous))
        {
            var answered = state.HasAny(target) || state.HasAny(target + FormState.Other);
            var onlyDefault = state.HasAny(target + FormState.Default) && state.Value(target) == state.Value(target + FormState.Default);
            if (answered && !onlyDefault)
                continue;
            var values = before.Values(source);
            var other = before.Values(source + FormState.Other);
            if (values.Count == 0 && other.Count == 0)
                continue;
            state.Set(target, values);
            state.Set(target + FormState.Other, other);
            state.Set(target + FormState.Default, []);
            state.Set(target + FormState.Usual, Marked(state, target));
            filled++;
        }
        return filled;
    }

    /// <summary>What an item holds, as one string (the "my usual" mark stays while the item still holds it; a posted form's line breaks are CRLF).</summary>
    public static string Marked(FormState state, string key) =>
        string.Join("\n", state.Values(key).Concat(state.Values(key + FormState.Other))).Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>Whether the item still holds what "My usual" filled (not yet changed by the surgeon).</summary>
    public static bool StillUsual(FormState state, string key) =>
        state.HasAny(key + FormState.Usual) && state.Value(key + FormState.Usual).Replace("\r\n", "\n", StringComparison.Ordinal) == Marked(state, key);
}
