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
    string StatusUrl,
    string? SentWith = null);

/// <summary><c>POST /api/notes</c> (sign) and <c>GET /api/notes/{id}</c> (status).</summary>
public static partial class NotesEndpoints
{
    public static WebApplication MapNotesApi(this WebApplication app)
    {
        var notes = app.MapGroup("/api/notes");
        notes.MapPost("", (HttpContext http, [AsParameters] SignServices services, CancellationToken ct) => SignAsync(http, services, null, ct)).RequireCsrf();
        // The confirmation before signing: the note as it will be filed, and how; nothing is stored or sent.
        notes.MapPost("/$preview", (HttpContext http, [AsParameters] SignServices services, CancellationToken ct) => SignAsync(http, services, null, ct, preview: true)).RequireCsrf();
        // An amendment: a new note that replaces a written one (its own id, relatesTo, Provenance).
        notes.MapPost("/{id}/$amend", (string id, HttpContext http, [AsParameters] SignServices services, CancellationToken ct) => SignAsync(http, services, id, ct)).RequireCsrf();
        notes.MapGet("/encounters", async (HttpContext http, SessionAccess access, EncounterLookup encounters, CancellationToken ct) =>
        {
            var session = await access.ResolveAsync(http, null, ct);
            return session is null ? ApiErrors.SessionEnded() : Results.Json(await encounters.ListAsync(session, ct), ContextEndpoints.Json);
        });
        notes.MapGet("/{id}", StatusAsync);
        return app;
    }

    /// <summary>What signing needs, in one parameter.</summary>
    public sealed record SignServices(
        SessionAccess Access, Outbox Outbox, NoteSender Sender, WritePlanner Planner, EncounterLookup Encounters, TemplateCatalog Catalog,
        IOptions<AppOptions> AppOptions, IOptions<WriteBackOptions> Options, TimeProvider Clock, ILogger<NoteSender> Log,
        Drafts.DraftStore Drafts);

    private static async Task<IResult> SignAsync(HttpContext http, SignServices services, string? amendsId, CancellationToken ct, bool preview = false)
    {
        var (access, outbox, sender, planner, encounters, catalog, appOptions, options, clock, log, drafts) = services;
        var session = SessionAccess.Current(http)!;
        if (!preview && await outbox.RebindAsync(session, ct) > 0)
            sender.Kick("rebind");
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

        OutboxNote? original = null;
        if (amendsId is not null)
        {
            original = await outbox.FindAsync(amendsId, ct);
            if (original is null || original.OwnerKey != Outbox.OwnerKey(session))
                return ApiErrors.Outcome(StatusCodes.Status404NotFound, IssueType.NotFound, "No such note for this patient and surgeon.");
            if (original.Status != NoteStatus.Written)
                return ApiErrors.Outcome(StatusCodes.Status409Conflict, IssueType.Conflict, "Only a note the EHR has accepted can be amended; this one is " + original.Status + ".");
            // The amendment's own id, the same for the same corrected answers (a replayed amend writes nothing new).
            response.Identifier = null;
            response.Identifier = new Identifier(Known.NoteIdentifierSystem, amendsId + "-a" + NoteIdOf(response, session)![3..11]);
        }
        var noteId = NoteIdOf(response, session);
        if (noteId is null)
            return ApiErrors.Outcome(StatusCodes.Status400BadRequest, IssueType.Value,
                "QuestionnaireResponse.identifier.value must be 1-64 letters, digits, '-' or '.'.");
        response.Identifier = new Identifier(Known.NoteIdentifierSystem, noteId);
        // Signing completes the template: the filed copy says so, whatever state the form sent it in (the note page sends its draft's).
        response.Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed;

        // A replay (double click, retried request) gets the note already stored, never a second one.
        var existing = preview ? null : await outbox.FindAsync(noteId, ct);
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
        // With the chart's names, as the page's preview showed them: the filed note reads as the surgeon confirmed it.
        var chart = session.Chart;
        var context = new NoteContext(noteId, new Ref("Patient/" + session.Patient, chart?.Patient?.Name),
            encounter is null ? null : new Ref(encounter, encounter == "Encounter/" + session.Encounter ? chart?.Encounter?.Type : null),
            new Ref(session.FhirUser!, chart?.Practitioner?.Name), new Ref(custodian), signedAt);
        var read = NoteReader.Read(catalog, response, context, session.Chart?.Evidence ?? new CaseEvidence([], [], [], [], []));
        if (!read.CanSign)
            return Fhir(StatusCodes.Status422UnprocessableEntity, read.Outcome);

        var composed = new NoteComposer().Compose(read.Note!, response);
        if (preview)
            return Results.Json(new { noteId, strategy = plan?.StrategyName, text = composed.Text, warnings = read.Outcome.Issue.Count }, ContextEndpoints.Json);
        var bundle = composed.ToTransactionBundle();
        if (original is not null)
            Amend(bundle, noteId, original);
        var payload = new NotePayload(new FhirJsonSerializer().SerializeToString(bundle), session.Patient!, encounter, session.FhirUser!);
        var now = outbox.Now;
        var note = new OutboxNote
        {
            Id = noteId,
            OwnerKey = Outbox.OwnerKey(session),
            SurgeonKey = Outbox.SurgeonKey(session),
            Issuer = session.Issuer,
            // With Backend Services credentials the sender can still send it without the surgeon's token.
            Status = session.NeedsRelaunch && ehr.Backend is not { IsConfigured: true } ? NoteStatus.WaitingForLaunch : NoteStatus.Pending,
            Plan = plan is null ? null : Outbox.PlanJson(plan),
            Strategy = plan?.StrategyName,
            CreatedAt = now,
            // The request makes the first attempt itself; the background sender takes over only if it never does (a crash).
            NextAttemptAt = now + options.Value.InlineWaitMs + 5000,
            Payload = outbox.Protect(payload),
            Tokens = outbox.Protect(Outbox.TokensOf(session)),
        };
        var (stored, created) = await outbox.AddAsync(note, ct);
        if (!created)
            return Replay(stored, session, outbox);
        log.LogInformation("Note {NoteId} signed and stored ({Strategy})", noteId, note.Strategy ?? "strategy pending");
        // The draft has become this signed note: a re-launch must not offer it again as unsigned work.
        // A draft of another note (say, one started while this one was amended) stays.
        await drafts.DiscardSignedAsync(session, noteId, ct);

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
            "/api/notes/" + Uri.EscapeDataString(note.Id),
            note.SentWith);
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
