using System.Text;
using Hl7.Fhir.Serialization;
using Rhizotomy.App.Form;
using Rhizotomy.App.Security;
using Rhizotomy.App.Sessions;
using Rhizotomy.Core.Templates;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace Rhizotomy.App.Drafts;

/// <summary>
/// <c>PUT /api/drafts</c> (save a QuestionnaireResponse as the draft of its template), <c>GET /api/drafts</c> (resume) and
/// <c>DELETE /api/drafts</c> (discard) for the launch's patient and surgeon; <c>POST /s/{launchId}/note/draft</c> is the
/// note page's autosave (the form as posted: the response is built on the server and the raw fields are kept beside it).
/// </summary>
public static class DraftsEndpoints
{
    public static IEndpointRouteBuilder MapDraftsApi(this IEndpointRouteBuilder app)
    {
        var drafts = app.MapGroup("/api/drafts");
        drafts.MapPut("", async (HttpContext http, DraftStore store, TemplateCatalog catalog, CancellationToken ct) =>
        {
            var session = SessionAccess.Current(http)!;
            if (session.Patient is null || session.FhirUser is null)
                return NoPatientOrSurgeon();
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            if (!NoteReader.TryParse(await reader.ReadToEndAsync(ct), out var response, out var outcome) || response is null)
                return Results.Content(new FhirJsonSerializer().SerializeToString(outcome!), "application/fhir+json", Encoding.UTF8, StatusCodes.Status400BadRequest);
            if (Security.ResponseAllowList.Check(response) is { } foreign)
                return Results.Content(new FhirJsonSerializer().SerializeToString(foreign), "application/fhir+json", Encoding.UTF8, StatusCodes.Status422UnprocessableEntity);
            // One draft per template: the response must say which (a template of this app).
            if (catalog.Find(response.Questionnaire) is not { Url: { } url })
                return ApiErrors.Outcome(StatusCodes.Status422UnprocessableEntity, IssueType.Required,
                    "QuestionnaireResponse.questionnaire must name one of this app's templates (GET /api/templates).");
            if (DraftStore.TemplateOf(response) != url)
                response.Questionnaire = url;
            Own(response, session);
            await store.SaveAsync(session, response, form: null, ct);
            return Results.NoContent();
        }).RequireCsrf().RequireFhirJsonBody();
        // Discard the draft of ?template= (or all of this patient and surgeon's): the next autosave or check starts a new one.
        drafts.MapDelete("", async (HttpContext http, string? template, DraftStore store, CancellationToken ct) =>
        {
            await store.DeleteAsync(SessionAccess.Current(http)!, string.IsNullOrWhiteSpace(template) ? null : template, ct);
            return Results.NoContent();
        }).RequireCsrf();
        drafts.MapGet("", async (HttpContext http, string? template, SessionAccess access, DraftStore store, WriteBack.Outbox outbox, WriteBack.NoteSender sender, CancellationToken ct) =>
        {
            var session = await access.ResolveAsync(http, null, ct);
            if (session is null)
                return ApiErrors.SessionEnded();
            // The form loads its draft on every launch: signed notes waiting for this surgeon's token get it now.
            if (await outbox.RebindAsync(session, ct) > 0)
                sender.Kick("rebind");
            // Without ?template= the latest draft of any template.
            var draft = string.IsNullOrWhiteSpace(template)
                ? (await store.ListAsync(session, ct)).FirstOrDefault()
                : await store.FindSavedAsync(session, template, ct);
            return draft is null
                ? ApiErrors.Outcome(StatusCodes.Status404NotFound, IssueType.NotFound, "No draft for this patient and surgeon" + (string.IsNullOrWhiteSpace(template) ? "." : " of this template."))
                : Results.Content(new FhirJsonSerializer().SerializeToString(draft.Response), "application/fhir+json", Encoding.UTF8);
        });

        // The page's autosave: the form as the browser would post it (its CSRF token in the form, like a check).
        app.MapPost("/s/{launchId}/note/draft", async (string? template, HttpContext http, LaunchScope bound, TemplateCatalog catalog, TimeProvider clock, DraftStore store, Microsoft.AspNetCore.Antiforgery.IAntiforgery antiforgery, CancellationToken ct) =>
        {
            var session = bound.Session;
            if (!http.Request.HasFormContentType)
                return ApiErrors.Outcome(StatusCodes.Status415UnsupportedMediaType, IssueType.NotSupported, "Send the note form (application/x-www-form-urlencoded).");
            IFormCollection form;
            try
            {
                form = await http.Request.ReadFormAsync(ct);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
            {
                return ApiErrors.Outcome(StatusCodes.Status400BadRequest, IssueType.Invalid, "The form could not be read: it was incomplete or too large.");
            }
            if (!await CsrfFilter.IsValidAsync(antiforgery, http))
                return ApiErrors.Outcome(StatusCodes.Status403Forbidden, IssueType.Security, "The form did not come from this launch's page.");
            if (session.Patient is null || session.FhirUser is null)
                return NoPatientOrSurgeon();
            var q = catalog.Find(template ?? NotePage.DefaultTemplate);
            if (q?.Url is null)
                return ApiErrors.Outcome(StatusCodes.Status404NotFound, IssueType.NotFound, "No such template.");
            var launch = NoteSession.Launch(session, clock.GetUtcNow(), out var missing);
            if (launch is null)
                return ApiErrors.Outcome(StatusCodes.Status422UnprocessableEntity, IssueType.Required, missing!);
            var state = FormState.FromForm(form, q);
            // The encounter chosen on the form rides in the raw fields and the response (signing checks it is the patient's).
            if (session.Encounter is null && state.Encounter is { } chosen)
                launch = launch with { Encounter = new Rhizotomy.Core.Clinical.Ref(chosen) };
            var response = new ResponseBuilder(q, state).Build(launch, NotePage.NoteIdOf(form));
            Own(response, session);
            await store.SaveAsync(session, response, state, ct);
            return Results.NoContent();
        }).RequireLaunch(WhenNoLaunch.Api);
        return app;
    }

    // The draft is this launch's patient and surgeon's, whatever the body says.
    private static void Own(Hl7.Fhir.Model.QuestionnaireResponse response, LaunchSession session)
    {
        response.Subject = new Hl7.Fhir.Model.ResourceReference("Patient/" + session.Patient);
        response.Author = new Hl7.Fhir.Model.ResourceReference(session.FhirUser);
        response.Status = Hl7.Fhir.Model.QuestionnaireResponse.QuestionnaireResponseStatus.InProgress;
    }

    private static IResult NoPatientOrSurgeon() =>
        ApiErrors.Outcome(StatusCodes.Status403Forbidden, IssueType.Forbidden, "Drafts need a launch with a patient and a signed-in practitioner.");
}
