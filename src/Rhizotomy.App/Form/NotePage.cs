using System.Text;
using Rhizotomy.App.Components.Form;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Rhizotomy.App.Drafts;
using Rhizotomy.App.Evidence;
using Rhizotomy.App.Sessions;
using Rhizotomy.Core.Checks;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Prefill;
using Rhizotomy.Core.Templates;
using static Rhizotomy.App.Ui.Pages;

namespace Rhizotomy.App.Form;

/// <summary>
/// The note form page, <c>/s/{launchId}/note?template=…</c>: the template prefilled from the chart, posted back
/// to the server to check (works without script), re-rendered with each check's message at its field and
/// everything typed kept; the case evidence beside it.
/// </summary>
public static partial class NotePage
{
    public const string DefaultTemplate = TemplateDefinitions.NeurectomyId;

    public static IEndpointRouteBuilder MapNotePage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/s/{launchId}/note", async (string launchId, string? template, string? fresh, HttpContext context, LaunchScope bound, SessionAccess sessions, TemplateCatalog catalog, TimeProvider clock, DraftStore drafts, EncounterPicker picker, CancellationToken ct) =>
        {
            var session = bound.Session;
            session = await sessions.EnsureChartAsync(session, ct);
            if (EvidencePage.Unreadable(session.Chart))
                return EhrUnavailable();
            var q = catalog.Find(template ?? DefaultTemplate);
            if (q is null)
                return UnknownTemplate(launchId);
            var launch = NoteSession.Launch(session, clock.GetUtcNow(), out var missing);
            if (launch is null)
                return CannotStartNote(missing!);
            // This patient and surgeon's draft of this template comes back as it was left ("start over" asks for fresh=1):
            // the raw fields when the page saved them (an invalid number, an answer behind a closed branch), else the response.
            var saved = fresh is null && q.Url is not null ? await drafts.FindSavedAsync(session, q.Url, ct) : null;
            if (saved is not null && !SameTemplate(saved.Response.Questionnaire, q))
                saved = null;
            FormState state;
            if (saved?.Form is { } raw)
                state = FormState.FromRaw(q, raw, saved.TimeZone);
            else
            {
                state = FormState.FromResponse(q, saved?.Response ?? Populator.Populate(q, launch, NoteSession.Evidence(session)));
                state.ApplyDefaults(q);
                // A draft saved through the API names its encounter in the response only.
                if (session.Encounter is null)
                    state.SetEncounter(saved?.Response.Encounter?.Reference);
            }
            var noteId = saved?.Response.Identifier is { Value: { } id } && NoteIdPattern().IsMatch(id) ? id : NewNoteId();
            var pick = await picker.PickAsync(session, state, checkedNow: false, ct);
            return Page(session, q, state, pick?.Apply(launch) ?? launch, outcome: null, builderProblems: null, noteId, pick, resumedFrom: saved?.SavedAt, templates: catalog.List());
        }).RequireLaunch();

        app.MapPost("/s/{launchId}/note", async (string launchId, string? template, HttpContext context, LaunchScope bound, SessionAccess sessions, TemplateCatalog catalog, TimeProvider clock, DraftStore drafts, Microsoft.Extensions.Options.IOptions<Launch.AppOptions> options, WriteBack.NoteSigning signing, WriteBack.Outbox outbox, EncounterPicker picker, Microsoft.AspNetCore.Antiforgery.IAntiforgery antiforgery, CancellationToken ct) =>
        {
            var session = bound.Session;
            if (!context.Request.HasFormContentType)
                return Error(StatusCodes.Status415UnsupportedMediaType, "The form could not be read", "This address takes the note form as the page sends it.", "Go back to the note page and use its buttons.");
            IFormCollection form;
            try
            {
                form = await context.Request.ReadFormAsync(ct);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
            {
                return Error(StatusCodes.Status400BadRequest, "The form could not be read", "What the browser sent was incomplete or too large.", "Go back to the note page and check again.");
            }
            if (!await CsrfFilter.IsValidAsync(antiforgery, context))
                return Error(StatusCodes.Status403Forbidden, "The form is out of date", "The form did not come from this launch's page (or the page is too old).", "Reload the note page from the app and try again.");
            session = await sessions.EnsureChartAsync(session, ct);
            var q = catalog.Find(template ?? DefaultTemplate);
            if (q is null)
                return UnknownTemplate(launchId);
            var launch = NoteSession.Launch(session, clock.GetUtcNow(), out var missing);
            if (launch is null)
                return CannotStartNote(missing!);

            var state = FormState.FromForm(form, q);
            var noteId = NoteIdOf(form);
            var action = form["action"].FirstOrDefault() ?? "check";
            var copy = action.StartsWith("copy:", StringComparison.Ordinal);
            // The encounter chosen on the form (a launch without one): checked against the EHR, and the note's from here on.
            var pick = await picker.PickAsync(session, state, checkedNow: !copy, ct);
            launch = pick?.Apply(launch) ?? launch;
            if (copy)
            {
                CopyFromOtherSide(q, state, action["copy:".Length..]);
                return Page(session, q, state, launch, outcome: null, builderProblems: null, noteId, pick, focus: action["copy:".Length..], templates: catalog.List());
            }
            // A note signed already (a second click, Back then Sign, a replayed post): its page, and nothing is saved or filed again.
            if (action is SignAction or ConfirmSignAction && await outbox.FindAsync(noteId, ct) is { } stored && stored.OwnerKey == WriteBack.Outbox.OwnerKey(session))
                return SeeOther(context, WriteBack.SignedNotePage.Path(session.LaunchId, stored.Id));
            var builder = new ResponseBuilder(q, state);
            var response = builder.Build(launch, noteId);
            // Each check is also an autosave: the page works without script, and so does resuming. (Confirming
            // saves nothing: the sign step before it did, and signing removes the draft.)
            if (action != ConfirmSignAction)
                await drafts.SaveAsync(session, response, state, ct);
            var outcome = NoteChecks.Check(q, response, NoteSession.Evidence(session));
            var clean = outcome.Issue.All(i => i.Severity is not (OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)) && builder.Problems.Count == 0
                && pick?.BlocksSigning != true;
            var preview = clean ? Preview(catalog, response, session, launch, noteId, options.Value) : null;
            if (action is SignAction or ConfirmSignAction)
            {
                // Signing without script: checked again here (the answers may have changed since the preview); a note with
                // errors is never signed, the form comes back with its messages.
                if (!clean || preview is null)
                    return Page(session, q, state, launch, outcome, builder.Problems, noteId, pick, status: StatusCodes.Status422UnprocessableEntity, templates: catalog.List());
                if (ContextModel.ModeOf(session) is { ReadOnly: true } readOnly)
                    return Error(StatusCodes.Status403Forbidden, "This launch cannot file notes", readOnly.ReadOnlyReason ?? "The EHR did not grant the app permission to file notes, or its sign-in has expired.", "Open the app again from the patient's chart in the EHR; the draft is kept.");
                if (action == SignAction)
                    return ConfirmPage(session, q, state, launch, noteId, preview);
                var signed = await signing.SignAsync(session, response, amendsId: null, preview: false, ct);
                if (signed.Note is { } note)
                    return SeeOther(context, WriteBack.SignedNotePage.Path(session.LaunchId, note.Id));
                if (signed.ByChecks)
                    return Page(session, q, state, launch, signed.Refusal, builder.Problems, noteId, pick, status: StatusCodes.Status422UnprocessableEntity, templates: catalog.List());
                var why = string.Join(" ", signed.Refusal?.Issue.Select(i => i.Details?.Text ?? i.Diagnostics).OfType<string>() ?? []);
                return Error(signed.Status, "The note was not signed", why, "Go back to the note page (the draft is kept), or open the app again from the patient's chart.");
            }
            return Page(session, q, state, launch, outcome, builder.Problems, noteId, pick, preview: preview, templates: catalog.List());
        }).RequireLaunch();

        // The QuestionnaireResponse of the form as it stands: what the page's Sign button sends to POST /api/notes.
        app.MapPost("/s/{launchId}/note/response", async (string? template, string? purpose, HttpContext context, LaunchScope bound, SessionAccess sessions, TemplateCatalog catalog, TimeProvider clock, WriteBack.WritePlanner planner, Microsoft.AspNetCore.Antiforgery.IAntiforgery antiforgery, CancellationToken ct) =>
        {
            var session = bound.Session;
            var (form, q, refused) = await ReadFormAsync(context, antiforgery, catalog, template, ct);
            if (refused is not null || form is null || q is null)
                return refused!;
            var launch = NoteSession.Launch(session, clock.GetUtcNow(), out var missing);
            if (launch is null)
                return ApiErrors.Outcome(StatusCodes.Status422UnprocessableEntity, OperationOutcome.IssueType.Required, missing!);
            var state = FormState.FromForm(form, q);
            // The encounter chosen on the form when the launch has none (signing checks that it is the patient's).
            if (session.Encounter is null && state.Encounter is { } chosen)
                launch = launch with { Encounter = new Ref(chosen) };
            // The page's Sign asks for the response to sign (purpose=sign): an EHR that needs an encounter gets the surgeon's
            // words for a missing one here, never the API's. (The live re-check asks without a purpose and gets the response.)
            if (purpose == "sign" && launch.Encounter is null && (await planner.PlanAsync(session.Issuer, ct))?.RequiresEncounter != false)
                return ApiErrors.Outcome(StatusCodes.Status422UnprocessableEntity, OperationOutcome.IssueType.Required, EncounterPicker.MissingText + " (in the form), then check the note again.");
            return FhirIo.Ok(new ResponseBuilder(q, state).Build(launch, NoteIdOf(form)));
        }).RequireLaunch(WhenNoLaunch.Api);

        // Which items behind an enableWhen the form as it stands enables, by field key: the page's script shows and hides
        // them from this answer, so the browser never evaluates an enableWhen itself (Core's EnableWhen is the one semantics).
        app.MapPost("/s/{launchId}/note/enabled", async (string? template, HttpContext context, LaunchScope bound, TemplateCatalog catalog, Microsoft.AspNetCore.Antiforgery.IAntiforgery antiforgery, CancellationToken ct) =>
        {
            var (form, q, refused) = await ReadFormAsync(context, antiforgery, catalog, template, ct);
            return refused is not null || form is null || q is null ? refused! : Results.Json(new ResponseBuilder(q, FormState.FromForm(form, q)).EnabledItems());
        }).RequireLaunch(WhenNoLaunch.Api);
        return app;
    }

    /// <summary>The note form a page's script posts, with its antiforgery token checked, and its template; or the API's refusal.</summary>
    private static async Task<(IFormCollection? Form, Questionnaire? Template, IResult? Refused)> ReadFormAsync(
        HttpContext context, Microsoft.AspNetCore.Antiforgery.IAntiforgery antiforgery, TemplateCatalog catalog, string? template, CancellationToken ct)
    {
        if (!context.Request.HasFormContentType)
            return (null, null, ApiErrors.Outcome(StatusCodes.Status415UnsupportedMediaType, OperationOutcome.IssueType.NotSupported, "Send the note form (application/x-www-form-urlencoded)."));
        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(ct);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            // Too many fields, too long a value, a broken encoding: the page keeps its form and says so.
            return (null, null, ApiErrors.Outcome(StatusCodes.Status400BadRequest, OperationOutcome.IssueType.Invalid, "The form could not be read: it was incomplete or too large."));
        }
        if (!await CsrfFilter.IsValidAsync(antiforgery, context))
            return (null, null, ApiErrors.Outcome(StatusCodes.Status403Forbidden, OperationOutcome.IssueType.Security, "The form did not come from this launch's page."));
        var q = catalog.Find(template ?? DefaultTemplate);
        return q is null ? (null, null, ApiErrors.Outcome(StatusCodes.Status404NotFound, OperationOutcome.IssueType.NotFound, "No such template.")) : (form, q, null);
    }

    // 303: the browser GETs the signed note; a reload or Back never posts the form again.
    private static IResult SeeOther(HttpContext context, string location)
    {
        context.Response.Headers.Location = location;
        return Results.StatusCode(StatusCodes.Status303SeeOther);
    }

    /// <summary>The note page's submit value that asks to sign (without script): the server checks and shows the confirm step.</summary>
    public const string SignAction = "sign";

    /// <summary>The confirm step's submit value: the server checks again and signs.</summary>
    public const string ConfirmSignAction = "confirm-sign";

    /// <summary>A new note's stable identifier: chosen when the page opens and kept by the form, so a second click never files a second note.</summary>
    public static string NewNoteId() => "rz-" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();

    /// <summary>The note id the page carries (its hidden field), or a new one when it is missing or malformed.</summary>
    public static string NoteIdOf(IFormCollection form) =>
        form["noteId"].FirstOrDefault() is { } id && NoteIdPattern().IsMatch(id) ? id : NewNoteId();

    [GeneratedRegex("^rz-[0-9a-f]{24}$")]
    private static partial Regex NoteIdPattern();

    /// <summary>The note as it will be filed (plain text rendering), for the preview before signing; null when it cannot be read.</summary>
    private static string? Preview(TemplateCatalog catalog, QuestionnaireResponse response, LaunchSession session, LaunchContext launch, string noteId, Launch.AppOptions options)
    {
        var custodian = options.Find(session.Issuer)?.Custodian ?? "Organization/unknown";
        var context = NoteSession.Context(session, launch, noteId, custodian, launch.Authored);
        var read = NoteReader.Read(catalog, response, context, NoteSession.Evidence(session));
        return read.Note is null ? null : Rhizotomy.Core.Notes.NoteRendering.Text(Rhizotomy.Core.Notes.NoteDocument.From(read.Note));
    }

    /// <summary>"Same as the other side": technique and details of the other side's nerve copied onto this one.</summary>
    public static void CopyFromOtherSide(Questionnaire q, FormState state, string groupLinkId)
    {
        var target = NerveSides.ByGroup(q, groupLinkId);
        if (target is null || NerveSides.OtherSide(q, target) is not { } source)
            return;
        static string[] Items(NerveSide n) =>
            [n.Technique, n.Findings, n.FindingsText, n.SegmentLength, n.Stump, n.SpecimenSent, n.EnergyMethod, n.RfTemperature, n.RfDuration, n.RfLesions];
        foreach (var (from, to) in Items(source).Zip(Items(target)))
        {
            state.Set(to, state.Values(from));
            state.Set(to + FormState.Other, state.Values(from + FormState.Other));
        }
        state.Set(target.Treated, "true");
    }

    /// <summary>Whether a saved response was made from this template (a guard: drafts are kept per template).</summary>
    public static bool SameTemplate(string? canonical, Questionnaire q) =>
        canonical is not null && q.Url is not null && canonical.Split('|')[0] == q.Url;

    private static IResult Page(LaunchSession session, Questionnaire q, FormState state, LaunchContext launch, OperationOutcome? outcome, Dictionary<string, string>? builderProblems, string noteId, EncounterPick? pick, string? focus = null, string? preview = null, DateTimeOffset? resumedFrom = null, int status = StatusCodes.Status200OK, IReadOnlyList<TemplateSummary>? templates = null)
    {
        var messages = new List<FieldMessage>();
        // The encounter's message is at its control always; in the summary after a check, with the answers' messages.
        if (outcome is not null && pick?.Message is { } encounterMessage)
            messages.Add(encounterMessage);
        foreach (var (key, text) in builderProblems ?? [])
            messages.Add(new FieldMessage(key, true, text));
        var passed = false;
        foreach (var issue in outcome?.Issue ?? [])
        {
            if (issue.Severity == OperationOutcome.IssueSeverity.Information)
            {
                passed = issue.Details?.Coding.FirstOrDefault()?.Code == "all-checks-passed";
                continue;
            }
            var key = KeyOf(issue.Expression.FirstOrDefault());
            messages.Add(new FieldMessage(key ?? "", issue.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal, issue.Details?.Text ?? issue.Diagnostics ?? "Problem"));
        }
        passed = passed && messages.Count == 0;
        var evidence = NoteSession.Evidence(session);
        var view = new FormView(q, state, new ResponseBuilder(q, state), messages, NerveMap.Evidence(q, evidence));
        var model = new NotePageModel(session, q, view, launch, pick, messages, outcome is not null, passed, noteId, focus, preview, resumedFrom, evidence, templates ?? []);
        return Render<NoteFormPage>(new() { [nameof(NoteFormPage.Model)] = model }, status);
    }

    /// <summary>
    /// The confirm step of signing without script: the note as it will be filed from the answers just posted, who signs
    /// it for whom, and a form that carries those answers (hidden) to <c>action=confirm-sign</c>, or back to the form.
    /// </summary>
    private static IResult ConfirmPage(LaunchSession session, Questionnaire q, FormState state, LaunchContext launch, string noteId, string preview) =>
        Render<ConfirmSignPage>(new() { [nameof(ConfirmSignPage.Model)] = new ConfirmPageModel(session, q, state, launch, noteId, preview) });

    /// <summary>The field key an issue's FHIRPath points at: the last linkId, with the index of each repeating group on the way.</summary>
    public static string? KeyOf(string? expression)
    {
        if (string.IsNullOrEmpty(expression))
            return null;
        var suffix = new StringBuilder();
        string? key = null;
        foreach (Match m in Step().Matches(expression))
        {
            var linkId = m.Groups[1].Value.Replace("\\'", "'", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            key = linkId + suffix;
            if (m.Groups[2].Success)
            {
                suffix.Append('.').Append(m.Groups[2].Value);
                key = linkId + suffix;
            }
        }
        return key;
    }

    [GeneratedRegex(@"where\(linkId='((?:[^'\\]|\\.)*)'\)(?:\[(\d+)\])?", RegexOptions.None, 200)]
    private static partial Regex Step();

    private static IResult CannotStartNote(string missing) => Error(StatusCodes.Status422UnprocessableEntity, "This launch cannot start a note", missing, Relaunch);

    private static IResult UnknownTemplate(string launchId) => Error(StatusCodes.Status404NotFound, "No such template",
        "The note template asked for does not exist in this app.", $"Go back to the case page and choose a template there.");
}

/// <summary>What the note form page shows (<see cref="NoteFormPage"/>).</summary>
public sealed record NotePageModel(LaunchSession Session, Questionnaire Template, FormView View, LaunchContext Launch, EncounterPick? Pick,
    IReadOnlyList<FieldMessage> Messages, bool CheckedNow, bool Passed, string NoteId, string? Focus, string? Preview, DateTimeOffset? ResumedFrom, CaseEvidence Evidence,
    IReadOnlyList<TemplateSummary> Templates);

/// <summary>What the confirm step of signing without script shows (<see cref="ConfirmSignPage"/>).</summary>
public sealed record ConfirmPageModel(LaunchSession Session, Questionnaire Template, FormState State, LaunchContext Launch, string NoteId, string Preview);
