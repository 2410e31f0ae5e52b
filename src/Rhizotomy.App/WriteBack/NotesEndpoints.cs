using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.App.Security;
using Rhizotomy.App.Sessions;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Templates;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.WriteBack;

/// <summary>
/// The status of a signed note as the API and the page show it. No PHI beyond the references written.
/// <c>Reason</c> is the outbox's own (for the EHR team); <c>Message</c> says it in plain words (<see cref="NoteMessages"/>).
/// </summary>
public sealed record NoteStatusModel(
    string Id,
    string Status,
    string? Strategy,
    string? StrategySource,
    int Attempts,
    int RoundTrips,
    IReadOnlyList<string> References,
    string? Reason,
    JsonElement? Outcome,
    DateTimeOffset CreatedAt,
    DateTimeOffset? WrittenAt,
    string StatusUrl,
    string? SentWith = null,
    string? Message = null);

/// <summary><c>POST /api/notes</c> (sign) and <c>GET /api/notes/{id}</c> (status).</summary>
public static partial class NotesEndpoints
{
    public static IEndpointRouteBuilder MapNotesApi(this IEndpointRouteBuilder app)
    {
        var notes = app.MapGroup("/api/notes");
        notes.MapPost("", (HttpContext http, NoteSigning signing, Outbox outbox, CancellationToken ct) => SignAsync(http, signing, outbox, null, ct)).RequireCsrf().RequireFhirJsonBody();
        // The confirmation before signing: the note as it will be filed, and how; nothing is stored or sent.
        notes.MapPost("/$preview", (HttpContext http, NoteSigning signing, Outbox outbox, CancellationToken ct) => SignAsync(http, signing, outbox, null, ct, preview: true)).RequireCsrf().RequireFhirJsonBody();
        // An amendment: a new note that replaces a written one (its own id, relatesTo, Provenance).
        notes.MapPost("/{id}/$amend", (string id, HttpContext http, NoteSigning signing, Outbox outbox, CancellationToken ct) => SignAsync(http, signing, outbox, id, ct)).RequireCsrf().RequireFhirJsonBody();
        notes.MapGet("/encounters", async (HttpContext http, SessionAccess access, EncounterLookup encounters, CancellationToken ct) =>
        {
            var session = await access.ResolveAsync(http, null, ct);
            return session is null ? ApiErrors.SessionEnded() : Results.Json(await encounters.ListAsync(session, ct), ContextEndpoints.Json);
        });
        notes.MapGet("/{id}", StatusAsync);
        return app;
    }

    private static async Task<IResult> SignAsync(HttpContext http, NoteSigning signing, Outbox outbox, string? amendsId, CancellationToken ct, bool preview = false)
    {
        var session = SessionAccess.Current(http)!;
        string body;
        using (var reader = new StreamReader(http.Request.Body, Encoding.UTF8))
            body = await reader.ReadToEndAsync(ct);
        if (!NoteReader.TryParse(body, out var response, out var parseOutcome) || response is null)
            return Fhir(StatusCodes.Status400BadRequest, parseOutcome!);
        // Only what the app checks is filed: any other element is refused, not carried along.
        if (Security.ResponseAllowList.Check(response) is { } foreign)
            return Fhir(StatusCodes.Status422UnprocessableEntity, foreign);

        var result = await signing.SignAsync(session, response, amendsId, preview, ct);
        if (result.Refusal is { } refusal)
            return Fhir(result.Status, refusal);
        if (result.Preview is { } p)
            return Results.Json(new { noteId = p.NoteId, strategy = p.Strategy, text = p.Text, warnings = p.Warnings }, ContextEndpoints.Json);
        return Answer(result.Note!, outbox);
    }

    private static async Task<IResult> StatusAsync(string id, HttpContext http, SessionAccess access, Outbox outbox, NoteSender sender, Audit.AuditTrail audit, CancellationToken ct)
    {
        var session = await access.ResolveAsync(http, null, ct);
        if (session is null)
            return ApiErrors.SessionEnded();
        if (await outbox.RebindAsync(session, ct) > 0)
            sender.Kick(id);
        var note = await outbox.FindAsync(id, ct);
        // Another surgeon's, patient's or EHR's note, or none: the same answer, so ids cannot be probed.
        if (note is null || !Outbox.IsOwnedBy(note, session))
        {
            if (note is not null)
                Security.SecurityEvents.Log(http, Security.SecurityEvents.AccessRefused, "note of another patient, surgeon or EHR");
            return ApiErrors.Outcome(StatusCodes.Status404NotFound, IssueType.NotFound, "No such note for this patient and surgeon.");
        }
        await audit.RecordAsync(session, Audit.AuditActions.ViewNote, note.Id, ct);
        return Results.Json(Model(note, outbox), ContextEndpoints.Json);
    }

    /// <summary>
    /// Turns a composed note into the amendment of <paramref name="original"/>: the Composition is
    /// <c>amended</c> and, like the DocumentReference, <c>relatesTo</c> replaces the original; each
    /// Procedure the original wrote is updated in place (PUT) rather than created again.
    /// </summary>
    public static void Amend(Bundle bundle, string noteId, OutboxNote original)
    {
        var written = Outbox.WrittenOf(original);
        string? Old(string key) => written.TryGetValue(NoteComposer.UrnFor(original.Id, key), out var reference) ? reference : null;
        foreach (var entry in bundle.Entry)
        {
            switch (entry.Resource)
            {
                case Composition composition:
                    composition.Status = CompositionStatus.Amended;
                    if (Old("composition") is { } oldComposition)
                        composition.RelatesTo.Add(new Composition.RelatesToComponent { Code = DocumentRelationshipType.Replaces, Target = new ResourceReference(oldComposition) });
                    break;
                case DocumentReference document:
                    if (Old("documentreference") is { } oldDocument)
                        document.RelatesTo.Add(new DocumentReference.RelatesToComponent { Code = DocumentRelationshipType.Replaces, Target = new ResourceReference(oldDocument) });
                    break;
                case Procedure procedure when procedure.Identifier.FirstOrDefault(i => i.System == Known.NoteIdentifierSystem) is { Value: { } value } identifier
                    && value.StartsWith(noteId + "-", StringComparison.Ordinal):
                    var key = value[(noteId.Length + 1)..];
                    if (Old(key) is { } oldProcedure)
                    {
                        // The same procedure, corrected: it keeps its identity in the EHR.
                        identifier.Value = original.Id + "-" + key;
                        procedure.Id = oldProcedure.Split('/')[1];
                        entry.Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = oldProcedure };
                    }
                    break;
            }
        }
    }

    private static IResult Answer(OutboxNote note, Outbox outbox)
    {
        var model = Model(note, outbox);
        return note.Status switch
        {
            NoteStatus.Written => Results.Json(model, ContextEndpoints.Json, statusCode: StatusCodes.Status201Created),
            NoteStatus.Failed => Results.Json(model, ContextEndpoints.Json, statusCode: StatusCodes.Status422UnprocessableEntity),
            _ => new Accepted(model),
        };
    }

    private sealed class Accepted(NoteStatusModel model) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.Headers.Location = model.StatusUrl;
            return Results.Json(model, ContextEndpoints.Json, statusCode: StatusCodes.Status202Accepted).ExecuteAsync(context);
        }
    }

    public static NoteStatusModel Model(OutboxNote note, Outbox? outbox)
    {
        var plan = Outbox.PlanOf(note);
        JsonElement? outcome = null;
        string? ehrSaid = null;
        if (outbox?.Unprotect<string>(note.Outcome) is { } json)
        {
            outcome = JsonDocument.Parse(json).RootElement.Clone();
            if (note.LastError?.StartsWith(NoteMessages.GaveUp, StringComparison.Ordinal) != true)
                ehrSaid = EhrSaid(json);
        }
        var status = note.Status switch
        {
            NoteStatus.Written => "written",
            NoteStatus.Failed => "failed",
            NoteStatus.WaitingForLaunch => "waiting-for-launch",
            _ => "pending",
        };
        return new NoteStatusModel(
            note.Id, status, note.Strategy, plan?.Source, note.Attempts, note.RoundTrips,
            [.. Outbox.WrittenOf(note).Values.Distinct()], note.LastError, outcome,
            DateTimeOffset.FromUnixTimeMilliseconds(note.CreatedAt),
            note.WrittenAt is { } w ? DateTimeOffset.FromUnixTimeMilliseconds(w) : null,
            "/api/notes/" + Uri.EscapeDataString(note.Id),
            note.SentWith,
            NoteMessages.Of(note.Status, note.LastError, note.Attempts, ehrSaid));
    }

    /// <summary>The words of an OperationOutcome's first error (details text, else diagnostics).</summary>
    private static string? EhrSaid(string outcomeJson)
    {
        var outcome = Ehr.TolerantFhir.Parse(outcomeJson, out _) as OperationOutcome;
        var issue = outcome?.Issue.FirstOrDefault(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal) ?? outcome?.Issue.FirstOrDefault();
        var words = issue?.Details?.Text ?? issue?.Diagnostics;
        return string.IsNullOrWhiteSpace(words) ? null : words.Trim();
    }

    /// <summary>
    /// The note id: the response's own identifier (set by prefill or the draft), else a hash of the
    /// launch's patient and surgeon and the answers, so the same sign request always names the same note.
    /// </summary>
    public static string? NoteIdOf(QuestionnaireResponse response, LaunchSession session)
    {
        if (response.Identifier?.Value is { } value)
            return NoteIdPattern().IsMatch(value) ? value : null;
        var copy = (QuestionnaireResponse)response.DeepCopy();
        copy.Meta = null;
        copy.Id = null;
        return "rz-" + Outbox.Key("note", session.Issuer, session.Patient, session.FhirUser, new FhirJsonSerializer().SerializeToString(copy))[..32];
    }

    private static IResult Fhir(int status, OperationOutcome outcome) =>
        Results.Content(new FhirJsonSerializer().SerializeToString(outcome), "application/fhir+json", Encoding.UTF8, status);

    [GeneratedRegex("^[A-Za-z0-9.-]{1,64}$")]
    private static partial Regex NoteIdPattern();
}
