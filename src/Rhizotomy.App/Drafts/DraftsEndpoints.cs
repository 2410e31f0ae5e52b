using System.Text;
using Hl7.Fhir.Serialization;
using Rhizotomy.App.Sessions;
using Rhizotomy.Core.Templates;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace Rhizotomy.App.Drafts;

/// <summary><c>PUT /api/drafts</c> (autosave), <c>GET /api/drafts</c> (resume) and <c>DELETE /api/drafts</c> (discard) for the launch's patient and surgeon.</summary>
public static class DraftsEndpoints
{
    public static WebApplication MapDraftsApi(this WebApplication app)
    {
        var drafts = app.MapGroup("/api/drafts");
        drafts.MapPut("", async (HttpContext http, DraftStore store, CancellationToken ct) =>
        {
            var session = SessionAccess.Current(http)!;
            if (session.Patient is null || session.FhirUser is null)
                return ApiErrors.Outcome(StatusCodes.Status403Forbidden, IssueType.Forbidden, "Drafts need a launch with a patient and a signed-in practitioner.");
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            if (!NoteReader.TryParse(await reader.ReadToEndAsync(ct), out var response, out var outcome) || response is null)
                return Results.Content(new FhirJsonSerializer().SerializeToString(outcome!), "application/fhir+json", Encoding.UTF8, StatusCodes.Status400BadRequest);
            // The draft is this launch's patient and surgeon's, whatever the body says.
            response.Subject = new Hl7.Fhir.Model.ResourceReference("Patient/" + session.Patient);
            response.Author = new Hl7.Fhir.Model.ResourceReference(session.FhirUser);
            response.Status = Hl7.Fhir.Model.QuestionnaireResponse.QuestionnaireResponseStatus.InProgress;
            await store.SaveAsync(session, response, ct);
            return Results.NoContent();
        }).RequireCsrf();
        // Discard the draft (start over for good; test set-up): the next autosave or check starts a new one.
        drafts.MapDelete("", async (HttpContext http, DraftStore store, CancellationToken ct) =>
        {
            await store.DeleteAsync(SessionAccess.Current(http)!, ct);
            return Results.NoContent();
        }).RequireCsrf();
        drafts.MapGet("", async (HttpContext http, SessionAccess access, DraftStore store, WriteBack.Outbox outbox, WriteBack.NoteSender sender, CancellationToken ct) =>
        {
            var session = await access.ResolveAsync(http, null, ct);
            if (session is null)
                return ApiErrors.SessionEnded();
            // The form loads its draft on every launch: signed notes waiting for this surgeon's token get it now.
            if (await outbox.RebindAsync(session, ct) > 0)
                sender.Kick("rebind");
            var draft = await store.FindAsync(session, ct);
            return draft is null
                ? ApiErrors.Outcome(StatusCodes.Status404NotFound, IssueType.NotFound, "No draft for this patient and surgeon.")
                : Results.Content(new FhirJsonSerializer().SerializeToString(draft), "application/fhir+json", Encoding.UTF8);
        });
        return app;
    }
}
