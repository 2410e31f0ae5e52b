using Hl7.Fhir.Model;
using Rhizotomy.App.Hosting;
using Rhizotomy.App.Security;
using Rhizotomy.App.Sessions;
using Rhizotomy.Core.Checks;
using Rhizotomy.Core.Prefill;
using Rhizotomy.Core.Templates;

namespace Rhizotomy.App.Form;

/// <summary>
/// The template API: the templates as a Bundle, <c>$populate</c> (a prefilled QuestionnaireResponse for the
/// launch), and <c>$check</c> (the checks before signing, no write). Everything the form page does is also here.
/// </summary>
public static class TemplateApi
{
    public static IEndpointRouteBuilder MapTemplateApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");

        // Templates are not patient data: no session needed to list them.
        api.MapGet("/templates", (TemplateCatalog catalog) => FhirIo.Ok(TemplatesBundle(catalog)));

        api.MapGet("/Questionnaire/{id}", (string id, TemplateCatalog catalog) =>
            catalog.Find(id) is { } q ? FhirIo.Ok(q) : UnknownTemplate(id));

        api.MapPost("/Questionnaire/{id}/$populate", async (string id, HttpContext context, TemplateCatalog catalog, SessionAccess sessions, TimeProvider clock, CancellationToken ct) =>
        {
            var template = catalog.Find(id);
            if (template is null)
                return UnknownTemplate(id);
            var (parameters, error) = await FhirIo.ReadAsync<Parameters>(context.Request, optional: true, ct);
            if (error is not null)
                return error;
            var session = await sessions.EnsureChartAsync(SessionAccess.Current(context)!, ct);
            if (parameters?.Parameter.FirstOrDefault(p => p.Name == "subject")?.Value is ResourceReference subject
                && subject.Reference != NoteSession.PatientReference(session))
            {
                return ApiErrors.Outcome(StatusCodes.Status422UnprocessableEntity, OperationOutcome.IssueType.BusinessRule,
                    "The subject asked for is not the patient of this launch; a launch documents its own patient only.");
            }
            var launch = NoteSession.Launch(session, clock.GetUtcNow(), out var missing);
            if (launch is null)
                return ApiErrors.Outcome(StatusCodes.Status422UnprocessableEntity, OperationOutcome.IssueType.Required, missing!);
            return FhirIo.Ok(Populator.Populate(template, launch, NoteSession.Evidence(session)));
        }).RequireCsrf().RequireFhirJsonBody();

        api.MapPost("/notes/$check", async (HttpContext context, TemplateCatalog catalog, SessionAccess sessions, CancellationToken ct) =>
        {
            var (response, error) = await FhirIo.ReadAsync<QuestionnaireResponse>(context.Request, optional: false, ct);
            if (error is not null)
                return error;
            var session = await sessions.EnsureChartAsync(SessionAccess.Current(context)!, ct);
            if (response!.Subject?.Reference is { } subject && subject != NoteSession.PatientReference(session))
            {
                return ApiErrors.Outcome(StatusCodes.Status422UnprocessableEntity, OperationOutcome.IssueType.BusinessRule,
                    "This response is about another patient than the one of this launch.");
            }
            if (string.IsNullOrWhiteSpace(response.Questionnaire))
            {
                return ApiErrors.Outcome(StatusCodes.Status422UnprocessableEntity, OperationOutcome.IssueType.Required,
                    "The response does not name its template (QuestionnaireResponse.questionnaire).");
            }
            var template = catalog.Find(response.Questionnaire);
            if (template is null)
            {
                return ApiErrors.Outcome(StatusCodes.Status422UnprocessableEntity, OperationOutcome.IssueType.NotFound,
                    "The response names a template this app does not have; GET /api/templates lists them.");
            }
            return FhirIo.Ok(NoteChecks.Check(template, response, NoteSession.Evidence(session)));
        }).RequireCsrf().RequireFhirJsonBody().Traced("note check");
        return app;
    }

    /// <summary>
    /// Every template of the catalog as a collection Bundle: each one itself, not what a lookup by its id or url
    /// finds (two versions of one canonical without ids would otherwise both come back as the newest).
    /// </summary>
    public static Bundle TemplatesBundle(TemplateCatalog catalog)
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Collection };
        foreach (var q in catalog.All())
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = q.Url, Resource = q });
        bundle.Total = bundle.Entry.Count;
        return bundle;
    }

    private static IResult UnknownTemplate(string id) => ApiErrors.Outcome(StatusCodes.Status404NotFound, OperationOutcome.IssueType.NotFound,
        $"No template '{Truncate(id)}'. GET /api/templates lists the templates.");

    private static string Truncate(string s) => new(s.Take(64).Where(c => !char.IsControl(c)).ToArray());
}
