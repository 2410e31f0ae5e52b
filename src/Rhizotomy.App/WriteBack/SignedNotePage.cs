using System.Globalization;
using System.Text;
using Rhizotomy.App.Components.Notes;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.App.Sessions;
using static Rhizotomy.App.Ui.Pages;

namespace Rhizotomy.App.WriteBack;

/// <summary>
/// The signed-note page, <c>/s/{launchId}/notes/{noteId}</c>: where the note is on its way to the EHR in plain
/// words (with what was written, or why not and what happens next), who signed it and when, whom it is about,
/// and the note text exactly as the DocumentReference carries it. It prints as a clean note. While the note is
/// on its way the page refreshes itself (no script needed). Only a launch of the surgeon who signed the note
/// for the same patient at the same EHR opens it (the rule of <c>GET /api/notes/{id}</c>).
/// </summary>
public static class SignedNotePage
{
    /// <summary>Seconds between refreshes while a note is pending.</summary>
    public const int RefreshSeconds = 4;

    public static string Path(string launchId, string noteId) => $"/s/{Uri.EscapeDataString(launchId)}/notes/{Uri.EscapeDataString(noteId)}";

    public static IEndpointRouteBuilder MapSignedNotePage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/s/{launchId}/notes/{noteId}", async (string launchId, string noteId, string? refresh, HttpContext http, LaunchScope bound, Outbox outbox, NoteSender sender, Audit.AuditTrail audit, CancellationToken ct) =>
        {
            var session = bound.Session;
            // A new launch of the surgeon hands its token to notes that waited for one.
            if (await outbox.RebindAsync(session, ct) > 0)
                sender.Kick(noteId);
            var note = noteId.Length <= 128 ? await outbox.FindAsync(noteId, ct) : null;
            // Another surgeon's note, another patient's, another EHR's, or none: the same page, so ids cannot be probed.
            if (note is null || !Outbox.IsOwnedBy(note, session))
            {
                if (note is not null)
                    Security.SecurityEvents.Log(http, Security.SecurityEvents.AccessRefused, "note of another patient, surgeon or EHR");
                return Error(StatusCodes.Status404NotFound, "No such note",
                    "This launch cannot show that note: it does not exist, or it is not this patient's note signed by you.",
                    "Open the note from the app in the launch where you signed it, or from the patient's chart in the EHR.");
            }
            await audit.RecordAsync(session, Audit.AuditActions.ViewNote, note.Id, ct);
            var autoRefresh = note.Status == NoteStatus.Pending && refresh != "off";
            // The Refresh header does what a meta refresh does, without script; "Stop refreshing" on the page turns it off
            // (WCAG 2.2.1: a user can turn off what moves on by itself).
            if (autoRefresh)
                http.Response.Headers["Refresh"] = RefreshSeconds.ToString(CultureInfo.InvariantCulture);
            return Render<SignedNoteView>(new()
            {
                [nameof(SignedNoteView.Session)] = session,
                [nameof(SignedNoteView.Note)] = note,
                [nameof(SignedNoteView.Status)] = NotesEndpoints.Model(note, outbox),
                [nameof(SignedNoteView.Filed)] = Filed(note, outbox),
                [nameof(SignedNoteView.AutoRefresh)] = autoRefresh,
            });
        }).RequireLaunch(nextStep: "Open the app again from the patient's chart in the EHR; the note's status is shown there.");
        return app;
    }

    /// <summary>What the page says of a note: read from the stored payload (the composed resources); null when purged or unreadable.</summary>
    public sealed record FiledNote(string Text, string? Patient, string? PatientId, string? Encounter, string? SignedBy, DateTimeOffset? SignedAt);

    public static FiledNote? Filed(OutboxNote note, Outbox outbox)
    {
        var payload = outbox.Unprotect<NotePayload>(note.Payload);
        if (payload is null)
            return null;
        Bundle bundle;
        try
        {
            bundle = payload.ReadBundle();
        }
        catch (DeserializationFailedException)
        {
            return null;
        }
        var document = bundle.Entry.Select(e => e.Resource).OfType<DocumentReference>().FirstOrDefault();
        var plain = document?.Content.Select(c => c.Attachment).FirstOrDefault(a => a?.ContentType?.StartsWith("text/plain", StringComparison.Ordinal) == true);
        if (document is null || plain?.Data is null)
            return null;
        var signer = document.Authenticator ?? document.Author.FirstOrDefault();
        var encounter = document.Context?.Encounter.FirstOrDefault();
        return new FiledNote(
            Encoding.UTF8.GetString(plain.Data),
            document.Subject?.Display ?? document.Subject?.Reference,
            payload.PatientId,
            encounter is null ? null : encounter.Display is { } d ? $"{d} ({encounter.Reference})" : encounter.Reference,
            signer?.Display ?? signer?.Reference,
            document.Date);
    }

    public static string EncounterText(FiledNote? filed, Ehr.ChartSnapshot? chart, bool samePatient)
    {
        if (samePatient && chart?.Encounter is { } enc && filed?.Encounter is { } written && written.Contains(enc.Reference, StringComparison.Ordinal))
            return $"{enc.Type ?? enc.Reference} {enc.Start}".Trim();
        return filed?.Encounter ?? (filed is null ? "see the EHR" : "none");
    }

    public static string StrategyText(string? strategy) => strategy switch
    {
        "transaction" => "as one transaction",
        "individual" => "resource by resource",
        "document-only" => "as a document only",
        _ => "strategy not recorded",
    };

    public static string TypeText(string reference) => reference.Split('/')[0] switch
    {
        "DocumentReference" => "The note document:",
        "Composition" => "The structured note:",
        "Procedure" => "The procedure:",
        "Provenance" => "Who signed what, when:",
        "QuestionnaireResponse" => "The answers of the form:",
        var other => other + ":",
    };

    public static List<string> IssueTexts(JsonElement? outcome)
    {
        var texts = new List<string>();
        if (outcome is not { ValueKind: JsonValueKind.Object } o || !o.TryGetProperty("issue", out var issues) || issues.ValueKind != JsonValueKind.Array)
            return texts;
        foreach (var issue in issues.EnumerateArray().Take(10))
        {
            if (issue.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Object && details.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                texts.Add(text.GetString()!);
            else if (issue.TryGetProperty("diagnostics", out var diagnostics) && diagnostics.ValueKind == JsonValueKind.String)
                texts.Add(diagnostics.GetString()!);
        }
        return texts;
    }
}
