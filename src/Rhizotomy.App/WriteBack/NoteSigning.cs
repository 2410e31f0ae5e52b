using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Options;
using Rhizotomy.App.Drafts;
using Rhizotomy.App.Form;
using Rhizotomy.App.Launch;
using Rhizotomy.App.Sessions;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Templates;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace Rhizotomy.App.WriteBack;

/// <summary>The note as it would be filed, and how (nothing stored or sent).</summary>
public sealed record NotePreview(string NoteId, string? Strategy, string Text, int Warnings);

/// <summary>
/// What signing answered: refused (an HTTP status and the OperationOutcome saying why), previewed, or
/// the note as stored (new or a replay of the same note).
/// </summary>
public sealed record SignResult(int Status, OperationOutcome? Refusal, OutboxNote? Note, NotePreview? Preview)
{
    public static SignResult Refused(int status, OperationOutcome outcome) => new(status, outcome, null, null);

    public static SignResult Refused(int status, IssueType type, string message) => Refused(status, new OperationOutcome
    {
        Issue = [new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Error, Code = type, Diagnostics = message }],
    });

    /// <summary>The refusal is the checks' outcome (the note is incomplete or wrong), not a problem of the launch or the site.</summary>
    public bool ByChecks { get; init; }
}

/// <summary>
/// Signing a note, one code path for every way in (<c>POST /api/notes</c>, its amend and preview, and the
/// note page's own form without script): who and what come from the launch, the checks run again, a note
/// id signs once (a replay gets the stored note), the note is stored before its first attempt.
/// </summary>
public sealed class NoteSigning(
    SessionAccess access, Outbox outbox, NoteSender sender, WritePlanner planner, EncounterLookup encounters, TemplateCatalog catalog,
    IOptions<AppOptions> appOptions, IOptions<WriteBackOptions> options, TimeProvider clock, ILogger<NoteSender> log, DraftStore drafts,
    Audit.AuditTrail audit, NoteComposerOptions composerOptions)
{
    public async Task<SignResult> SignAsync(LaunchSession session, QuestionnaireResponse response, string? amendsId, bool preview, CancellationToken ct)
    {
        // One span per signing (or preview, or amendment): what it was and its HTTP status, nothing about the note.
        using var activity = Hosting.AppTelemetry.Source.StartActivity(preview ? "note preview" : amendsId is null ? "note sign" : "note amend");
        var result = await SignCoreAsync(session, response, amendsId, preview, ct);
        activity?.SetTag("rhizotomy.ehr", Hosting.AppTelemetry.Ehr(session.Issuer));
        activity?.SetTag("http.response.status_code", result.Status);
        return result;
    }

    private async Task<SignResult> SignCoreAsync(LaunchSession session, QuestionnaireResponse response, string? amendsId, bool preview, CancellationToken ct)
    {
        if (!preview && await outbox.RebindAsync(session, ct) > 0)
            sender.Kick("rebind");
        if (session.Patient is null || !ContextModel.IsPractitioner(session.FhirUser))
            return SignResult.Refused(StatusCodes.Status403Forbidden, IssueType.Forbidden,
                "Signing needs a launch with a patient and a signed-in practitioner. Open the app again from the patient's chart.");
        var ehr = appOptions.Value.Find(session.Issuer);
        if (ehr?.Custodian is not { Length: > 0 } custodian)
            return SignResult.Refused(StatusCodes.Status500InternalServerError, IssueType.Exception,
                "This site has not configured the organisation that keeps the notes (App:Ehrs:n:Custodian).");

        // Who the note is about and who signs it come from the launch, never from the request.
        response.Subject = new ResourceReference("Patient/" + session.Patient);
        response.Author = new ResourceReference(session.FhirUser);
        var encounter = session.Encounter is not null ? "Encounter/" + session.Encounter : null;
        string? chosenLabel = null;
        if (encounter is null && response.Encounter?.Reference is { } chosen)
        {
            if (await encounters.FindOfPatientAsync(session, chosen, ct) is not { } found)
                return SignResult.Refused(StatusCodes.Status422UnprocessableEntity, IssueType.Invalid,
                    "The chosen encounter is not one of this patient's encounters.");
            encounter = chosen;
            // Named in words as the note page named it in the preview (the same label from the EHR's own record).
            chosenLabel = EncounterLookup.Label(found);
        }
        response.Encounter = encounter is null ? null : new ResourceReference(encounter);

        OutboxNote? original = null;
        if (amendsId is not null)
        {
            original = await outbox.FindAsync(amendsId, ct);
            if (original is null || !Outbox.IsOwnedBy(original, session))
                return SignResult.Refused(StatusCodes.Status404NotFound, IssueType.NotFound, "No such note for this patient and surgeon.");
            if (original.Status != NoteStatus.Written)
                return SignResult.Refused(StatusCodes.Status409Conflict, IssueType.Conflict, "Only a note the EHR has accepted can be amended; this one is " + original.Status + ".");
            if (SameAnswers(original, response))
                return SignResult.Refused(StatusCodes.Status422UnprocessableEntity, IssueType.BusinessRule,
                    "Nothing changed: the amendment's answers are the same as the signed note's. Change what needs correcting, then sign the amendment.");
            // The amendment's own id, the same for the same corrected answers (a replayed amend writes nothing new).
            response.Identifier = null;
            response.Identifier = new Identifier(Known.NoteIdentifierSystem, amendsId + "-a" + NotesEndpoints.NoteIdOf(response, session)![3..11]);
        }
        var noteId = NotesEndpoints.NoteIdOf(response, session);
        if (noteId is null)
            return SignResult.Refused(StatusCodes.Status400BadRequest, IssueType.Value,
                "QuestionnaireResponse.identifier.value must be 1-64 letters, digits, '-' or '.'.");
        response.Identifier = new Identifier(Known.NoteIdentifierSystem, noteId);
        // Signing completes the template: the filed copy says so, whatever state the form sent it in (the note page sends its draft's).
        response.Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed;

        // A replay (double click, retried request, a form posted twice) gets the note already stored, never a second one.
        var existing = preview ? null : await outbox.FindAsync(noteId, ct);
        if (existing is not null)
            return Replay(existing, session);

        var plan = await planner.PlanAsync(session.Issuer, ct);
        if (plan?.RequiresEncounter == true && encounter is null)
        {
            return SignResult.Refused(StatusCodes.Status422UnprocessableEntity, IssueType.Required,
                "This EHR files a note only against an encounter and the launch has none: choose one of the patient's encounters (GET /api/notes/encounters) and send it as QuestionnaireResponse.encounter.");
        }

        session = await access.EnsureChartAsync(session, ct);
        var signedAt = clock.GetUtcNow();
        // The context the page's preview was built with (NoteSession): the note says whom it is about and who signed it in words.
        var launch = NoteSession.Launch(session, signedAt, out _)!;
        if (chosenLabel is not null)
            launch = launch with { Encounter = new Ref(encounter!, chosenLabel) };
        var context = NoteSession.Context(session, launch, noteId, custodian, signedAt);
        var read = NoteReader.Read(catalog, response, context, NoteSession.Evidence(session));
        if (!read.CanSign)
            return SignResult.Refused(StatusCodes.Status422UnprocessableEntity, read.Outcome) with { ByChecks = true };

        var composed = new NoteComposer(composerOptions).Compose(read.Note!, response);
        if (preview)
            return new SignResult(StatusCodes.Status200OK, null, null, new NotePreview(noteId, plan?.StrategyName, composed.Text, read.Outcome.Issue.Count));
        var bundle = composed.ToTransactionBundle();
        if (original is not null)
            NotesEndpoints.Amend(bundle, noteId, original);
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
            return Replay(stored, session);
        log.LogInformation("Note {NoteId} signed and stored ({Strategy})", noteId, note.Strategy ?? "strategy pending");
        await audit.RecordAsync(session, original is null ? Audit.AuditActions.SignNote : Audit.AuditActions.AmendNote, noteId, ct);
        Security.SecurityEvents.Log(log, original is null ? Security.SecurityEvents.NoteSigned : Security.SecurityEvents.NoteAmended, "stored for sending", noteId);
        // The draft has become this signed note: a re-launch must not offer it again as unsigned work.
        // A draft of another note (say, one started while this one was amended) stays.
        await drafts.DiscardSignedAsync(session, noteId, ct);

        await sender.SendNowAsync(noteId, TimeSpan.FromMilliseconds(options.Value.InlineWaitMs));
        var latest = await outbox.FindAsync(noteId, CancellationToken.None) ?? stored;
        return new SignResult(StatusOf(latest), null, latest, null);
    }

    /// <summary>
    /// True when <paramref name="amendment"/> answers exactly what the written <paramref name="original"/> answered (its stored
    /// QuestionnaireResponse; after the retention purge there is nothing to compare and the amendment goes ahead).
    /// </summary>
    private bool SameAnswers(OutboxNote original, QuestionnaireResponse amendment)
    {
        if (outbox.Unprotect<NotePayload>(original.Payload) is not { } payload)
            return false;
        var bundle = payload.ReadBundle();
        if (bundle.Entry.Select(e => e.Resource).OfType<QuestionnaireResponse>().FirstOrDefault() is not { } filed)
            return false;
        var serializer = new FhirJsonSerializer();
        string Answers(QuestionnaireResponse r) => serializer.SerializeToString(new QuestionnaireResponse
        {
            Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed,
            Item = [.. r.Item.Select(i => (QuestionnaireResponse.ItemComponent)i.DeepCopy())],
        });
        return Answers(filed) == Answers(amendment);
    }

    private static SignResult Replay(OutboxNote note, LaunchSession session) =>
        note.OwnerKey != Outbox.OwnerKey(session)
            ? SignResult.Refused(StatusCodes.Status409Conflict, IssueType.Conflict, "This note id is already used by another note.")
            : new SignResult(StatusOf(note), null, note, null);

    /// <summary>201 written, 422 refused by the EHR, 202 on its way (pending or waiting for a launch).</summary>
    public static int StatusOf(OutboxNote note) => note.Status switch
    {
        NoteStatus.Written => StatusCodes.Status201Created,
        NoteStatus.Failed => StatusCodes.Status422UnprocessableEntity,
        _ => StatusCodes.Status202Accepted,
    };
}
