using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Options;
using Rhizotomy.App.Launch;
using Rhizotomy.App.Sessions;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Templates;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.WriteBack;

/// <summary>The status of a signed note as the API and the page show it. No PHI beyond the references written.</summary>
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
    string StatusUrl);

/// <summary><c>POST /api/notes</c> (sign) and <c>GET /api/notes/{id}</c> (status).</summary>
public static partial class NotesEndpoints
{
    public static WebApplication MapNotesApi(this WebApplication app)
    {
        var notes = app.MapGroup("/api/notes");
        notes.MapPost("", SignAsync).RequireCsrf();
        notes.MapGet("/encounters", async (HttpContext http, SessionAccess access, EncounterLookup encounters, CancellationToken ct) =>
        {
            var session = await access.ResolveAsync(http, null, ct);
            return session is null ? ApiErrors.SessionEnded() : Results.Json(await encounters.ListAsync(session, ct), ContextEndpoints.Json);
        });
        notes.MapGet("/{id}", StatusAsync);
        return app;
    }

    private static async Task<IResult> SignAsync(
        HttpContext http, SessionAccess access, Outbox outbox, NoteSender sender, WritePlanner planner, EncounterLookup encounters, TemplateCatalog catalog,
        IOptions<AppOptions> appOptions, IOptions<WriteBackOptions> options, TimeProvider clock, ILogger<NoteSender> log, CancellationToken ct)
    {
        var session = SessionAccess.Current(http)!;
        if (session.Patient is null || session.FhirUser is null || !session.FhirUser.StartsWith("Practitioner/", StringComparison.Ordinal))
            return ApiErrors.Outcome(StatusCodes.Status403Forbidden, IssueType.Forbidden,
                "Signing needs a launch with a patient and a signed-in practitioner. Open the app again from the patient's chart.");
        var ehr = appOptions.Value.Find(session.Issuer);
        if (ehr?.Custodian is not { Length: > 0 } custodian)
            return ApiErrors.Outcome(StatusCodes.Status500InternalServerError, IssueType.Exception,
                "This site has not configured the organisation that keeps the notes (App:Ehrs:n:Custodian).");

        string body;
        using (var reader = new StreamReader(http.Request.Body, Encoding.UTF8))
            body = await reader.ReadToEndAsync(ct);
        if (!NoteReader.TryParse(body, out var response, out var parseOutcome) || response is null)
            return Fhir(StatusCodes.Status400BadRequest, parseOutcome!);

        // Who the note is about and who signs it come from the launch, never from the request.
        response.Subject = new ResourceReference("Patient/" + session.Patient);
        response.Author = new ResourceReference(session.FhirUser);
        var encounter = session.Encounter is not null ? "Encounter/" + session.Encounter : null;
        if (encounter is null && response.Encounter?.Reference is { } chosen)
        {
            if (!await encounters.IsEncounterOfPatientAsync(session, chosen, ct))
                return ApiErrors.Outcome(StatusCodes.Status422UnprocessableEntity, IssueType.Invalid,
                    "The chosen encounter is not one of this patient's encounters.");
            encounter = chosen;
        }
        response.Encounter = encounter is null ? null : new ResourceReference(encounter);

        var noteId = NoteIdOf(response, session);
        if (noteId is null)
            return ApiErrors.Outcome(StatusCodes.Status400BadRequest, IssueType.Value,
                "QuestionnaireResponse.identifier.value must be 1-64 letters, digits, '-' or '.'.");
        response.Identifier = new Identifier(Known.NoteIdentifierSystem, noteId);

        // A replay (double click, retried request) gets the note already stored, never a second one.
        var existing = await outbox.FindAsync(noteId, ct);
        if (existing is not null)
            return Replay(existing, session, outbox);

        var plan = await planner.PlanAsync(session.Issuer, ct);
        if (plan?.RequiresEncounter == true && encounter is null)
        {
            return ApiErrors.Outcome(StatusCodes.Status422UnprocessableEntity, IssueType.Required,
                "This EHR files a note only against an encounter and the launch has none: choose one of the patient's encounters (GET /api/notes/encounters) and send it as QuestionnaireResponse.encounter.");
        }

        session = await access.EnsureChartAsync(session, ct);
        var signedAt = clock.GetUtcNow();
        var context = new NoteContext(noteId, new Ref("Patient/" + session.Patient), encounter is null ? null : new Ref(encounter),
            new Ref(session.FhirUser!), new Ref(custodian), signedAt);
        var read = NoteReader.Read(catalog, response, context, session.Chart?.Evidence ?? new CaseEvidence([], [], [], [], []));
        if (!read.CanSign)
            return Fhir(StatusCodes.Status422UnprocessableEntity, read.Outcome);

        var composed = new NoteComposer().Compose(read.Note!, response);
        var payload = new NotePayload(new FhirJsonSerializer().SerializeToString(composed.ToTransactionBundle()), session.Patient!, encounter, session.FhirUser!);
        var now = outbox.Now;
        var note = new OutboxNote
        {
            Id = noteId,
            OwnerKey = Outbox.OwnerKey(session),
            SurgeonKey = Outbox.SurgeonKey(session),
            Issuer = session.Issuer,
            Status = session.NeedsRelaunch ? NoteStatus.WaitingForLaunch : NoteStatus.Pending,
            Plan = plan is null ? null : Outbox.PlanJson(plan),
            Strategy = plan?.StrategyName,
            CreatedAt = now,
            NextAttemptAt = now,
            Payload = outbox.Protect(payload),
            Tokens = outbox.Protect(Outbox.TokensOf(session)),
        };
        var (stored, created) = await outbox.AddAsync(note, ct);
        if (!created)
            return Replay(stored, session, outbox);
        log.LogInformation("Note {NoteId} signed and stored ({Strategy})", noteId, note.Strategy ?? "strategy pending");

        await sender.SendNowAsync(noteId, TimeSpan.FromMilliseconds(options.Value.InlineWaitMs));
        return Answer(await outbox.FindAsync(noteId, CancellationToken.None) ?? stored, outbox);
    }

    private static async Task<IResult> StatusAsync(string id, HttpContext http, SessionAccess access, Outbox outbox, NoteSender sender, CancellationToken ct)
    {
        var session = await access.ResolveAsync(http, null, ct);
        if (session is null)
            return ApiErrors.SessionEnded();
        if (await outbox.RebindAsync(session, ct) > 0)
            sender.Kick(id);
        var note = await outbox.FindAsync(id, ct);
        // Another surgeon's note, or none: the same answer, so ids cannot be probed.
        if (note is null || note.SurgeonKey != Outbox.SurgeonKey(session))
            return ApiErrors.Outcome(StatusCodes.Status404NotFound, IssueType.NotFound, "No such note for this surgeon.");
        return Results.Json(Model(note, outbox), ContextEndpoints.Json);
    }

    private static IResult Replay(OutboxNote note, LaunchSession session, Outbox outbox)
    {
        if (note.OwnerKey != Outbox.OwnerKey(session))
            return ApiErrors.Outcome(StatusCodes.Status409Conflict, IssueType.Conflict, "This note id is already used by another note.");
        return Answer(note, outbox);
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
        if (outbox?.Unprotect<string>(note.Outcome) is { } json)
            outcome = JsonDocument.Parse(json).RootElement.Clone();
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
            "/api/notes/" + Uri.EscapeDataString(note.Id));
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
