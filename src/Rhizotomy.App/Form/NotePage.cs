using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Rhizotomy.App.Drafts;
using Rhizotomy.App.Ehr;
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

    public static WebApplication MapNotePage(this WebApplication app)
    {
        app.MapGet("/s/{launchId}/note", async (string launchId, string? template, string? fresh, HttpContext context, SessionAccess sessions, TemplateCatalog catalog, TimeProvider clock, DraftStore drafts, EncounterPicker picker, CancellationToken ct) =>
        {
            var session = await sessions.ResolveAsync(context, launchId, ct);
            if (session is null)
                return SessionEnded();
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
        });

        app.MapPost("/s/{launchId}/note", async (string launchId, string? template, HttpContext context, SessionAccess sessions, TemplateCatalog catalog, TimeProvider clock, DraftStore drafts, Microsoft.Extensions.Options.IOptions<Launch.AppOptions> options, WriteBack.NoteSigning signing, WriteBack.Outbox outbox, EncounterPicker picker, CancellationToken ct) =>
        {
            var session = await sessions.ResolveAsync(context, launchId, ct);
            if (session is null)
                return SessionEnded();
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
            if (form["csrf"].FirstOrDefault() is not { } csrf || !SessionStore.FixedTimeEquals(csrf, session.CsrfToken))
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
                CopyFromOtherSide(state, action["copy:".Length..]);
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
        });

        // The QuestionnaireResponse of the form as it stands: what the page's Sign button sends to POST /api/notes.
        app.MapPost("/s/{launchId}/note/response", async (string launchId, string? template, string? purpose, HttpContext context, SessionAccess sessions, TemplateCatalog catalog, TimeProvider clock, WriteBack.WritePlanner planner, CancellationToken ct) =>
        {
            var session = await sessions.ResolveAsync(context, launchId, ct);
            if (session is null)
                return ApiErrors.SessionEnded();
            if (!context.Request.HasFormContentType)
                return ApiErrors.Outcome(StatusCodes.Status415UnsupportedMediaType, OperationOutcome.IssueType.NotSupported, "Send the note form (application/x-www-form-urlencoded).");
            IFormCollection form;
            try
            {
                form = await context.Request.ReadFormAsync(ct);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
            {
                // Too many fields, too long a value, a broken encoding: the page keeps its form and says so.
                return ApiErrors.Outcome(StatusCodes.Status400BadRequest, OperationOutcome.IssueType.Invalid, "The form could not be read: it was incomplete or too large.");
            }
            if (form["csrf"].FirstOrDefault() is not { } csrf || !SessionStore.FixedTimeEquals(csrf, session.CsrfToken))
                return ApiErrors.Outcome(StatusCodes.Status403Forbidden, OperationOutcome.IssueType.Security, "The form did not come from this launch's page.");
            var q = catalog.Find(template ?? DefaultTemplate);
            if (q is null)
                return ApiErrors.Outcome(StatusCodes.Status404NotFound, OperationOutcome.IssueType.NotFound, "No such template.");
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
        });
        return app;
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
    public static void CopyFromOtherSide(FormState state, string groupLinkId)
    {
        var target = LinkIds.NerveSides.FirstOrDefault(n => n.Group == groupLinkId);
        if (target is null)
            return;
        var source = LinkIds.For(target.Nerve, target.Side == Side.Left ? Side.Right : Side.Left);
        static string[] Items(NerveLinkIds n) =>
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
        var renderer = new FormRenderer(q, state, new ResponseBuilder(q, state), messages, NerveMap.Evidence(evidence));
        var items = renderer.Items();
        var html = new StringBuilder();
        var chart = session.Chart;
        if (session.NeedPatientBanner && chart?.Patient is { } p)
        {
            html.Append("<header class=\"banner\" aria-label=\"Patient\"><strong>").Append(E(p.Name)).Append("</strong>")
                .Append("<span>Born ").Append(E(p.BirthDate ?? "unknown")).Append("</span>")
                .Append("<span>").Append(E(p.Gender ?? "")).Append("</span></header>");
        }
        html.Append("<div class=\"layout\"><main id=\"main\">");
        html.Append("<h1>").Append(E(q.Title ?? q.Name)).Append("</h1>");
        html.Append("<p class=\"about\">Patient: <strong>").Append(E(chart?.Patient?.Name ?? launch.Patient.Reference)).Append("</strong>, born ")
            .Append(E(chart?.Patient?.BirthDate ?? "unknown")).Append(". Encounter: ")
            .Append(E(chart?.Encounter is { } enc ? $"{enc.Type ?? enc.Reference} {enc.Start}".Trim()
                : pick is null ? "none in context" : pick.Chosen is { } chosen ? WriteBack.EncounterLookup.Label(chosen) : "not given by the EHR (choose it in the form)"))
            .Append(". Author: ").Append(E(chart?.Practitioner?.Name ?? launch.Surgeon.Reference)).Append(".</p>");
        if (session.NeedsRelaunch)
            html.Append("<p class=\"notice relaunch\">Your EHR sign-in has expired. Re-launch the app from the patient's chart; keep this page open until then.</p>");
        else if (ContextModel.ModeOf(session).ReadOnly)
            html.Append("<p class=\"notice\" id=\"read-only\">").Append(E(ContextModel.ModeOf(session).ReadOnlyReason ?? ReadOnlyNotice)).Append("</p>");
        if (resumedFrom is { } savedAt)
        {
            var local = savedAt.ToOffset(FormState.ParseOffset(state.TimeZone));
            html.Append("<p class=\"notice resumed\" id=\"resumed\">Resumed your draft from <time datetime=\"").Append(E(savedAt.ToString("O", CultureInfo.InvariantCulture))).Append("\">")
                .Append(E(local.ToString("d MMM yyyy HH:mm", CultureInfo.InvariantCulture))).Append(state.TimeZone == "Z" ? " UTC" : "").Append("</time>. ")
                .Append("<a href=\"/s/").Append(E(session.LaunchId)).Append("/note?template=").Append(E(Uri.EscapeDataString(q.Id ?? ""))).Append("&amp;fresh=1\">Start over from the chart</a>")
                .Append(" (the draft is replaced when the new form is saved).</p>");
        }
        // Each link says where it goes on its own (WCAG 2.4.4/2.4.9): a list of links read out has no surrounding text.
        html.Append("<p class=\"muted\">Template: ");
        foreach (var (other, technique) in new[] { (TemplateDefinitions.NeurectomyId, "neurectomy"), (TemplateDefinitions.CoagulationId, "coagulation") })
        {
            html.Append(other == q.Id ? "<strong>" + E(technique) + "</strong> · " : $"<a href=\"/s/{E(session.LaunchId)}/note?template={E(other)}\">Switch to the {E(technique)} note</a> · ");
        }
        // Every other template the site installed, by its title.
        foreach (var t in (templates ?? []).Where(t => t.Id is not null && t.Id != q.Id && t.Id is not (TemplateDefinitions.NeurectomyId or TemplateDefinitions.CoagulationId)))
            html.Append($"<a href=\"/s/{E(session.LaunchId)}/note?template={E(Uri.EscapeDataString(t.Id!))}\">Switch to: {E(t.Title)}</a> · ");
        html.Append("<a href=\"/s/").Append(E(session.LaunchId)).Append("\">Back to the case evidence page</a></p>");

        if (evidence.Gaps.Count > 0)
        {
            // In a narrow frame the evidence column sits below the form: the gaps are said here too.
            html.Append("<div class=\"notice\"><strong>Gaps in the work-up:</strong><ul class=\"gaps\">");
            foreach (var g in evidence.Gaps)
                html.Append("<li>").Append(E(g.Text)).Append("</li>");
            html.Append("</ul><a href=\"#ev-h\">Case evidence from the chart</a></div>");
        }
        var rendered = pick is null ? renderer.Rendered : new HashSet<string>(renderer.Rendered.Append(FormState.EncounterField), StringComparer.Ordinal);
        Summary(html, messages, rendered, outcome is not null, passed);

        html.Append("<form method=\"post\" action=\"/s/").Append(E(session.LaunchId)).Append("/note?template=").Append(E(Uri.EscapeDataString(q.Id ?? ""))).Append("\" novalidate id=\"note-form\"")
            .Append(" data-launch=\"").Append(E(session.LaunchId)).Append('"').Append(focus is null ? "" : " data-focus=\"" + E(FormRenderer.Id(focus)) + "\"").Append('>');
        html.Append("<input type=\"hidden\" name=\"csrf\" value=\"").Append(E(session.CsrfToken)).Append("\">");
        html.Append("<input type=\"hidden\" name=\"noteId\" value=\"").Append(E(noteId)).Append("\">");
        html.Append("<input type=\"hidden\" name=\"").Append(FormState.TimeZoneField).Append("\" value=\"").Append(E(state.TimeZone)).Append("\">");
        if (pick is not null)
            html.Append(EncounterPicker.Render(pick));
        html.Append(items);
        html.Append("<div class=\"actions\"><button type=\"submit\" name=\"action\" value=\"check\">Check the note</button>")
            .Append(" <span class=\"muted\">Checks what is missing before signing (and saves the draft); nothing is sent to the EHR.</span>")
            .Append(" <span id=\"autosave\" class=\"autosave muted\" role=\"status\" aria-live=\"polite\"></span></div>");
        html.Append("</form>");
        if (preview is not null)
            Signing(html, preview, session, launch, chart, q);
        html.Append("</main>");
        html.Append(EvidenceAside(evidence, chart));
        html.Append("</div>");
        var head = "<link rel=\"stylesheet\" href=\"/form.css\">"
            + (session.SmartStyleUrl is null ? "" : $"<link rel=\"stylesheet\" href=\"{E(SmartStyle.Path(session.LaunchId))}\">")
            + "<script src=\"/form.js\" defer></script>";
        return Results.Content(Shell(q.Title ?? "Operative note", html.ToString(), head), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    /// <summary>
    /// Preview of the note as it will be filed, then Sign. The Sign button submits the note form (<c>action=sign</c>):
    /// without script the server checks again and answers the confirm step (<see cref="ConfirmPage"/>); with script the
    /// page intercepts it for its own confirm, progress and result (POST /api/notes), ending with a link to the signed note.
    /// </summary>
    private static void Signing(StringBuilder html, string preview, LaunchSession session, LaunchContext launch, ChartSnapshot? chart, Questionnaire q)
    {
        var mode = ContextModel.ModeOf(session);
        html.Append("<section class=\"signing\" aria-labelledby=\"sign-h\"><h2 id=\"sign-h\">Preview and sign</h2>")
            .Append("<pre class=\"preview\" tabindex=\"0\" aria-label=\"Preview of the note\">").Append(E(preview)).Append("</pre>");
        if (mode.ReadOnly)
        {
            html.Append("<p class=\"notice\" id=\"sign-unavailable\">").Append(E(mode.ReadOnlyReason == ContextModel.NotPractitionerNotice
                ? "Not offered: " + ContextModel.NotPractitionerNotice
                : "Not offered: this launch is read-only (the EHR did not grant the app permission to file notes), so the note cannot be signed here. Your draft is kept: to sign, ask for write access and open the app again from the patient's chart.")).Append("</p></section>");
            return;
        }
        html.Append("<p class=\"notice\" id=\"preview-stale\" hidden>The answers changed after this preview: check the note again to see the note as it will be filed, then sign it.</p>")
            .Append("<div id=\"sign\" data-response=\"/s/").Append(E(session.LaunchId)).Append("/note/response?template=").Append(E(Uri.EscapeDataString(q.Id ?? ""))).Append("&amp;purpose=sign\"")
            .Append(" data-note-page=\"/s/").Append(E(Uri.EscapeDataString(session.LaunchId))).Append("/notes/\">")
            // A submit button of the note form (it posts the answers as they stand, with the page's CSRF token).
            .Append("<p><button type=\"submit\" form=\"note-form\" name=\"action\" value=\"").Append(SignAction).Append("\" id=\"sign-start\">Sign and file the note</button>")
            .Append(" <span class=\"muted\">You confirm before anything is filed.</span></p>")
            .Append("<div id=\"sign-confirm\" hidden><p>Sign this note as <strong>").Append(E(chart?.Practitioner?.Name ?? launch.Surgeon.Reference))
            .Append("</strong> for <strong>").Append(E(chart?.Patient?.Name ?? launch.Patient.Reference)).Append("</strong> and file it in the EHR? A signed note cannot be changed here.</p>")
            .Append("<p><button type=\"button\" id=\"sign-confirm-yes\">Confirm and sign</button> <button type=\"button\" class=\"secondary\" id=\"sign-cancel\">Cancel signing</button></p></div>")
            .Append("<div id=\"sign-status\" role=\"status\" aria-live=\"polite\"></div></div></section>");
    }

    /// <summary>The patient banner when the EHR asks for it (<c>need_patient_banner</c>), as the note page shows it.</summary>
    public static string Banner(LaunchSession session) =>
        session.NeedPatientBanner && session.Chart?.Patient is { } p
            ? "<header class=\"banner\" aria-label=\"Patient\"><strong>" + E(p.Name) + "</strong><span>Born " + E(p.BirthDate ?? "unknown") + "</span><span>" + E(p.Gender ?? "") + "</span></header>"
            : "";

    /// <summary>
    /// The confirm step of signing without script: the note as it will be filed from the answers just posted, who signs
    /// it for whom, and a form that carries those answers (hidden) to <c>action=confirm-sign</c>, or back to the form.
    /// </summary>
    private static IResult ConfirmPage(LaunchSession session, Questionnaire q, FormState state, LaunchContext launch, string noteId, string preview)
    {
        var chart = session.Chart;
        var html = new StringBuilder(Banner(session)).Append("<main id=\"main\">");
        html.Append("<h1>Confirm and sign</h1>");
        html.Append("<p class=\"about\">Patient: <strong>").Append(E(chart?.Patient?.Name ?? launch.Patient.Reference)).Append("</strong>, born ")
            .Append(E(chart?.Patient?.BirthDate ?? "unknown")).Append(". Encounter: ")
            .Append(E(chart?.Encounter is { } enc ? $"{enc.Type ?? enc.Reference} {enc.Start}".Trim() : launch.Encounter?.Display ?? launch.Encounter?.Reference ?? "none in context"))
            .Append(". Author: ").Append(E(chart?.Practitioner?.Name ?? launch.Surgeon.Reference)).Append(".</p>");
        html.Append("<section aria-labelledby=\"preview-h\"><h2 id=\"preview-h\">The note as it will be filed</h2>")
            .Append("<pre class=\"preview\" tabindex=\"0\" aria-label=\"Preview of the note\">").Append(E(preview)).Append("</pre></section>");
        html.Append("<form method=\"post\" action=\"/s/").Append(E(session.LaunchId)).Append("/note?template=").Append(E(Uri.EscapeDataString(q.Id ?? ""))).Append("\" id=\"confirm-form\">");
        html.Append("<input type=\"hidden\" name=\"csrf\" value=\"").Append(E(session.CsrfToken)).Append("\">");
        html.Append("<input type=\"hidden\" name=\"noteId\" value=\"").Append(E(noteId)).Append("\">");
        html.Append("<input type=\"hidden\" name=\"").Append(FormState.TimeZoneField).Append("\" value=\"").Append(E(state.TimeZone)).Append("\">");
        // The answers exactly as previewed: what is confirmed is what is signed (the server checks them once more).
        foreach (var key in state.Keys.Order(StringComparer.Ordinal))
        {
            foreach (var value in state.Values(key))
                html.Append("<input type=\"hidden\" name=\"").Append(E(key)).Append("\" value=\"").Append(E(value)).Append("\">");
        }
        html.Append("<p id=\"confirm-question\">Sign this note as <strong>").Append(E(chart?.Practitioner?.Name ?? launch.Surgeon.Reference))
            .Append("</strong> for <strong>").Append(E(chart?.Patient?.Name ?? launch.Patient.Reference)).Append("</strong> and file it in the EHR? A signed note cannot be changed here.</p>");
        html.Append("<div class=\"actions\"><button type=\"submit\" name=\"action\" value=\"").Append(ConfirmSignAction).Append("\">Confirm and sign</button>")
            .Append(" <button type=\"submit\" name=\"action\" value=\"check\" class=\"secondary\">Back to the form</button></div>");
        html.Append("</form></main>");
        var head = "<link rel=\"stylesheet\" href=\"/form.css\">"
            + (session.SmartStyleUrl is null ? "" : $"<link rel=\"stylesheet\" href=\"{E(SmartStyle.Path(session.LaunchId))}\">");
        return Results.Content(Shell("Confirm and sign: " + (q.Title ?? "operative note"), html.ToString(), head), "text/html; charset=utf-8");
    }

    private static void Summary(StringBuilder html, List<FieldMessage> messages, IReadOnlySet<string> rendered, bool checkedNow, bool passed)
    {
        if (!checkedNow && messages.Count == 0)
            return;
        if (passed)
        {
            html.Append("<div class=\"summary ok\" id=\"summary\" role=\"status\" tabindex=\"-1\"><h2>All checks passed</h2><p>The note is complete and can be signed.</p></div>");
            return;
        }
        var errors = messages.Count(m => m.Error);
        var warnings = messages.Count - errors;
        html.Append("<div class=\"summary").Append(errors > 0 ? " bad" : " ok").Append("\" id=\"summary\" role=\"alert\" tabindex=\"-1\"><h2>")
            .Append(errors > 0 ? $"{errors} {(errors == 1 ? "problem stops" : "problems stop")} signing" : "No problem stops signing")
            .Append(warnings > 0 ? $", {warnings} {(warnings == 1 ? "warning" : "warnings")}" : "").Append("</h2><ul>");
        foreach (var m in messages.OrderByDescending(m => m.Error))
        {
            html.Append("<li class=\"").Append(m.Error ? "error" : "warning").Append("\">");
            if (rendered.Contains(m.Key))
                html.Append("<a href=\"#").Append(FormRenderer.Id(m.Key)).Append("\">").Append(E(m.Text)).Append("</a>");
            else
                html.Append(E(m.Text));
            html.Append("</li>");
        }
        html.Append("</ul></div>");
    }

    private static string EvidenceAside(CaseEvidence ev, ChartSnapshot? chart)
    {
        var html = new StringBuilder("<aside class=\"evidence\" aria-labelledby=\"ev-h\"><h2 id=\"ev-h\">Case evidence from the chart</h2>");
        if (chart is null)
            return html.Append("<p>The chart could not be read.</p></aside>").ToString();
        foreach (var w in chart.Warnings)
            html.Append("<p class=\"notice\">").Append(E(w)).Append("</p>");
        html.Append("<h3>Gaps</h3>");
        if (ev.Gaps.Count == 0)
            html.Append("<p>None: the work-up is documented.</p>");
        else
        {
            html.Append("<ul class=\"gaps\">");
            foreach (var g in ev.Gaps)
                html.Append("<li>").Append(E(g.Text)).Append("</li>");
            html.Append("</ul>");
        }
        html.Append("<h3>Diagnoses</h3><ul>");
        foreach (var d in ev.Diagnoses)
        {
            html.Append("<li>").Append(E(d.Concept.Text)).Append(d.Side is { } s ? ", " + E(s.ToString().ToLowerInvariant()) : ", side not stated")
                .Append(d.Active ? "" : " <span class=\"tag\">inactive</span>").Append("</li>");
        }
        if (ev.Diagnoses.Count == 0)
            html.Append("<li>None relevant.</li>");
        html.Append("</ul><h3>Diagnostic blocks</h3><ul>");
        foreach (var b in ev.Blocks)
        {
            html.Append("<li>").Append(E(b.Date ?? "date unknown")).Append(": ").Append(E(b.Side?.ToString().ToLowerInvariant() ?? "side?")).Append(' ')
                .Append(E(b.Nerve switch { Nerve.GreaterOccipital => "greater", Nerve.LesserOccipital => "lesser", Nerve.ThirdOccipital => "third", _ => "unstated" }))
                .Append(" occipital").Append(b.ReliefPercent is { } r ? ", " + r.ToString(CultureInfo.InvariantCulture) + "% relief" : "")
                .Append(b.ReliefText is { } t ? " (" + E(t) + ")" : "").Append("</li>");
        }
        if (ev.Blocks.Count == 0)
            html.Append("<li>None on record.</li>");
        html.Append("</ul><h3>Timeline</h3>").Append(Evidence.EvidenceSummary.Timeline(ev));
        return html.Append("</aside>").ToString();
    }

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
