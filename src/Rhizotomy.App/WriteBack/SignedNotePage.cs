using System.Globalization;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.App.Form;
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

    public static WebApplication MapSignedNotePage(this WebApplication app)
    {
        app.MapGet("/s/{launchId}/notes/{noteId}", async (string launchId, string noteId, string? refresh, HttpContext http, SessionAccess access, Outbox outbox, NoteSender sender, CancellationToken ct) =>
        {
            var session = await access.ResolveAsync(http, launchId, ct);
            if (session is null)
                return SessionEnded("Open the app again from the patient's chart in the EHR; the note's status is shown there.");
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
            var autoRefresh = note.Status == NoteStatus.Pending && refresh != "off";
            var head = "<link rel=\"stylesheet\" href=\"/form.css\"><link rel=\"stylesheet\" href=\"/signed-note.css\">"
                + (session.SmartStyleUrl is null ? "" : $"<link rel=\"stylesheet\" href=\"{E(SmartStyle.Path(session.LaunchId))}\">")
                // The print stylesheet comes last so the EHR's style cannot colour the printout.
                + "<link rel=\"stylesheet\" href=\"/signed-note-print.css\" media=\"print\">"
                + "<script src=\"/signed-note.js\" defer></script>";
            // The Refresh header does what a meta refresh does, without script; "Stop refreshing" on the page turns it off
            // (WCAG 2.2.1: a user can turn off what moves on by itself).
            if (autoRefresh)
                http.Response.Headers["Refresh"] = RefreshSeconds.ToString(CultureInfo.InvariantCulture);
            return Results.Content(Shell("Signed note " + note.Id, Body(session, note, outbox, autoRefresh), head), "text/html; charset=utf-8");
        });
        app.MapGet("/signed-note.css", () => Results.Text(Css, "text/css"));
        app.MapGet("/signed-note-print.css", () => Results.Text(PrintCss, "text/css"));
        app.MapGet("/signed-note.js", () => Results.Text(Script, "text/javascript"));
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
            bundle = new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<Bundle>(payload.Bundle);
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

    private static string Body(LaunchSession session, OutboxNote note, Outbox outbox, bool autoRefresh)
    {
        var model = NotesEndpoints.Model(note, outbox);
        var filed = Filed(note, outbox);
        var chart = session.Chart;
        // The launch's patient banner, when the note is about that patient (a banner naming another patient would mislead).
        var html = new StringBuilder(filed?.PatientId == session.Patient ? NotePage.Banner(session) : "").Append("<main id=\"main\" class=\"signed-note\">");
        html.Append("<nav class=\"note-actions\" aria-label=\"Signed note\"><a href=\"/s/").Append(E(Uri.EscapeDataString(session.LaunchId))).Append("\">Back to the case page</a>")
            .Append(" <button type=\"button\" id=\"print-note\" hidden>Print the note</button></nav>");
        html.Append("<h1>Signed operative note</h1>");

        Status(html, session, note, model, autoRefresh);

        // The launch's chart says the birth date only when this launch is about the note's patient.
        var samePatient = filed?.PatientId is { } pid && pid == session.Patient;
        html.Append("<dl class=\"facts\">")
            .Append("<dt>Patient</dt><dd>").Append(E(filed?.Patient ?? (samePatient ? chart?.Patient?.Name : null) ?? "see the EHR")).Append("</dd>")
            .Append("<dt>Birth date</dt><dd>").Append(E(samePatient ? chart?.Patient?.BirthDate ?? "unknown" : "not in this launch's chart")).Append("</dd>")
            .Append("<dt>Encounter</dt><dd>").Append(E(EncounterText(filed, chart, samePatient))).Append("</dd>")
            .Append("<dt>Signed by</dt><dd>").Append(E(filed?.SignedBy ?? chart?.Practitioner?.Name ?? session.FhirUser)).Append("</dd>")
            .Append("<dt>Signed</dt><dd>").Append(Time(filed?.SignedAt ?? model.CreatedAt)).Append("</dd>")
            .Append("<dt>Note identifier</dt><dd>").Append(E(note.Id)).Append("</dd>")
            .Append("</dl>");

        html.Append("<section aria-labelledby=\"text-h\"><h2 id=\"text-h\">The note as filed</h2>");
        if (filed is null)
        {
            html.Append("<p class=\"notice\">The app no longer keeps this note's text (it is removed a while after the EHR accepted it). ")
                .Append("The EHR holds it: see the DocumentReference above, or the patient's chart.</p>");
        }
        else
        {
            html.Append("<pre class=\"note-text\" tabindex=\"0\" aria-label=\"The note as filed\">").Append(E(filed.Text)).Append("</pre>");
        }
        html.Append("</section>");
        html.Append("<p class=\"muted note-actions\">To print, press Print the note or use the browser's print menu: the page prints as the note alone.</p>");
        return html.Append("</main>").ToString();
    }

    private static void Status(StringBuilder html, LaunchSession session, OutboxNote note, NoteStatusModel model, bool autoRefresh)
    {
        // Plain words for the surgeon (the technical reason is in the API's "reason"); NoteMessages ends them with a full stop.
        var reason = model.Message ?? NoteMessages.Of(note.Status, note.LastError, note.Attempts);
        html.Append("<section class=\"status ").Append(E(model.Status)).Append("\" id=\"note-status\" role=\"status\" aria-labelledby=\"status-h\">");
        switch (note.Status)
        {
            case NoteStatus.Written:
                html.Append("<h2 id=\"status-h\">Written: filed in the EHR</h2><p>The EHR accepted the note")
                    .Append(model.WrittenAt is { } at ? " on " + Time(at) : "").Append(" (").Append(E(StrategyText(model.Strategy))).Append("). The EHR holds:</p><ul class=\"written\">");
                foreach (var reference in model.References.OrderBy(r => r, StringComparer.Ordinal))
                    html.Append("<li>").Append(E(TypeText(reference))).Append(" <code>").Append(E(reference)).Append("</code></li>");
                html.Append("</ul>");
                break;
            case NoteStatus.Failed:
                html.Append("<h2 id=\"status-h\">Failed: the EHR refused the note</h2>")
                    .Append("<p><strong>Reason:</strong> ").Append(E(reason)).Append("</p>");
                var issues = IssueTexts(model.Outcome);
                if (issues.Count > 0)
                {
                    html.Append("<p>The EHR said:</p><ul>");
                    foreach (var issue in issues)
                        html.Append("<li>").Append(E(issue)).Append("</li>");
                    html.Append("</ul>");
                }
                html.Append("<p class=\"next\"><strong>What to do:</strong> the signed note is kept in the app and nothing was filed. ")
                    .Append("Give your EHR team the note identifier below and the reason above; do not sign the note again.</p>");
                break;
            case NoteStatus.WaitingForLaunch:
                html.Append("<h2 id=\"status-h\">Signed and stored: waiting for a re-launch</h2>")
                    .Append("<p><strong>Reason:</strong> ").Append(E(reason)).Append("</p>")
                    .Append("<p class=\"next\"><strong>What to do:</strong> open the app again from the patient's chart in the EHR. ")
                    .Append("The app then sends this note by itself; there is nothing to type again.</p>");
                break;
            default:
                html.Append("<h2 id=\"status-h\">Pending: will be sent</h2>")
                    .Append("<p><strong>Reason:</strong> ").Append(E(reason)).Append("</p>")
                    .Append("<p class=\"next\"><strong>What happens next:</strong> the note is signed and stored; the app keeps sending it until the EHR accepts it")
                    .Append(note.Attempts > 0 ? " (" + note.Attempts.ToString(CultureInfo.InvariantCulture) + (note.Attempts == 1 ? " attempt" : " attempts") + " so far)" : "")
                    .Append(". You may close this page: sending goes on without it.</p>");
                if (autoRefresh)
                {
                    html.Append("<p class=\"note-actions\">This page refreshes itself every ").Append(RefreshSeconds).Append(" seconds. <a href=\"")
                        .Append(E(Path(session.LaunchId, note.Id))).Append("?refresh=off\">Stop refreshing this page</a></p>");
                }
                else
                {
                    html.Append("<p class=\"note-actions\"><a href=\"").Append(E(Path(session.LaunchId, note.Id))).Append("\">Refresh the status of this note</a></p>");
                }
                break;
        }
        html.Append("</section>");
    }

    private static string EncounterText(FiledNote? filed, Ehr.ChartSnapshot? chart, bool samePatient)
    {
        if (samePatient && chart?.Encounter is { } enc && filed?.Encounter is { } written && written.Contains(enc.Reference, StringComparison.Ordinal))
            return $"{enc.Type ?? enc.Reference} {enc.Start}".Trim();
        return filed?.Encounter ?? (filed is null ? "see the EHR" : "none");
    }

    private static string StrategyText(string? strategy) => strategy switch
    {
        "transaction" => "as one transaction",
        "individual" => "resource by resource",
        "document-only" => "as a document only",
        _ => "strategy not recorded",
    };

    private static string TypeText(string reference) => reference.Split('/')[0] switch
    {
        "DocumentReference" => "The note document:",
        "Composition" => "The structured note:",
        "Procedure" => "The procedure:",
        "Provenance" => "Who signed what, when:",
        "QuestionnaireResponse" => "The answers of the form:",
        var other => other + ":",
    };

    private static List<string> IssueTexts(JsonElement? outcome)
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

    private static string Time(DateTimeOffset at) =>
        "<time datetime=\"" + E(at.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)) + "\">"
        + E(at.ToUniversalTime().ToString("d MMM yyyy HH:mm", CultureInfo.InvariantCulture)) + " UTC</time>";

    public const string Css = """
        .signed-note{max-width:900px}
        .note-actions{display:flex;gap:14px;align-items:center;flex-wrap:wrap}
        nav.note-actions{margin:4px 0 8px}
        .status{border:2px solid;border-radius:6px;padding:4px 14px;margin:10px 0}
        .status h2{font-size:1.15em;margin:8px 0}
        .status.written{border-color:#1e7b45;background:#e9f6ee}
        .status.pending{border-color:#1a56db;background:#eef4ff}
        .status.failed,.status.waiting-for-launch{border-color:#b42318;background:#fdecea}
        .status code{font-size:.95em}
        dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:12px 0}
        dl.facts dt{font-weight:600}dl.facts dd{margin:0}
        pre.note-text{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;color:#1b1f24;border:1px solid #c9d0d6;padding:12px;font-size:.95em}
        """;

    /// <summary>Printing gives the note alone: black on white, no buttons or links, headings kept with what follows.</summary>
    public const string PrintCss = """
        @media print{
        html,body{background:#fff !important;color:#000 !important}
        *{color:#000 !important;background:transparent !important;box-shadow:none !important}
        .note-actions,nav,button,.banner,noscript{display:none !important}
        main,.signed-note{padding:0 !important;margin:0 !important;max-width:none !important}
        .status{border:1px solid #000 !important;padding:2px 8px}
        .status h2{font-size:12pt}
        h1{font-size:15pt;margin:0 0 6pt}
        h1,h2,dt{break-after:avoid;page-break-after:avoid}
        .status,dl.facts{break-inside:avoid;page-break-inside:avoid}
        pre.note-text{border:0 !important;padding:0 !important;font-size:10.5pt;white-space:pre-wrap;overflow:visible !important;max-height:none !important;orphans:3;widows:3}
        a{text-decoration:none}
        @page{margin:18mm 16mm}
        }
        """;

    /// <summary>The Print button appears only with script (without it, the browser's print menu prints the same clean page).</summary>
    public const string Script = """
        (function () {
          'use strict';
          var button = document.getElementById('print-note');
          if (!button || typeof window.print !== 'function') return;
          button.hidden = false;
          button.addEventListener('click', function () { window.print(); });
        })();
        """;
}
