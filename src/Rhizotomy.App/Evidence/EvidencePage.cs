using System.Globalization;
using System.Text;
using Rhizotomy.App.Ehr;
using Rhizotomy.App.Launch;
using Rhizotomy.App.Sessions;
using Rhizotomy.App.Ui;
using Rhizotomy.Core.Clinical;
using static Rhizotomy.App.Ui.Pages;

namespace Rhizotomy.App.Evidence;

/// <summary>The app's first page after the launch: banner, mode, case evidence, gaps, timeline.</summary>
public static class EvidencePage
{
    public static WebApplication MapEvidencePage(this WebApplication app)
    {
        app.MapGet("/", () => Results.Content(Shell("Occipital rhizotomy note",
            "<main class=\"message\"><h1>Occipital rhizotomy note</h1><p>Open this app from a patient's chart in your EHR.</p></main>"),
            "text/html; charset=utf-8"));

        app.MapGet("/s/{launchId}", async (string launchId, HttpContext context, SessionAccess sessions, Drafts.DraftStore drafts, Rhizotomy.Core.Templates.TemplateCatalog catalog, CancellationToken ct) =>
        {
            var session = await sessions.ResolveAsync(context, launchId, ct);
            if (session is null)
                return SessionEnded();
            session = await sessions.EnsureChartAsync(session, ct);
            if (Unreadable(session.Chart))
                return EhrUnavailable();
            // A re-launch for the same patient and surgeon says at once which notes were left unsigned.
            var unsigned = session.Patient is null || session.FhirUser is null ? [] : (await drafts.ListAsync(session, ct))
                .Select(d => catalog.Find(d.Response.Questionnaire) is { Id: { } id } q ? new DraftLink(id, q.Title ?? id, d.SavedAt, d.TimeZone) : null)
                .OfType<DraftLink>().ToList();
            return Results.Content(Render(session, unsigned, catalog.List()), "text/html; charset=utf-8");
        });
        return app;
    }

    /// <summary>An unsigned draft of a template, offered on the case page.</summary>
    public sealed record DraftLink(string TemplateId, string Title, DateTimeOffset SavedAt, string? TimeZone);

    /// <summary>The chart read failed so far that not even the patient could be read: the EHR is down, not a gap in the chart.</summary>
    public static bool Unreadable(ChartSnapshot? chart) => chart is { Complete: false, Patient: null };

    public static string Render(LaunchSession session, IReadOnlyList<DraftLink>? drafts = null, IReadOnlyList<Rhizotomy.Core.Templates.TemplateSummary>? templates = null)
    {
        var chart = session.Chart;
        var mode = ContextModel.ModeOf(session);
        var html = new StringBuilder();
        if (session.NeedPatientBanner && chart?.Patient is { } p)
        {
            html.Append("<header class=\"banner\" aria-label=\"Patient\"><strong>").Append(E(p.Name)).Append("</strong>")
                .Append("<span>Born ").Append(E(p.BirthDate ?? "unknown")).Append("</span>")
                .Append("<span>").Append(E(p.Gender ?? "")).Append("</span>")
                .Append("<span class=\"muted\">").Append(E(p.Reference)).Append("</span></header>");
        }
        html.Append("<main>");
        if (session.NeedsRelaunch)
            html.Append("<p class=\"notice relaunch\">Your EHR sign-in has expired. Please re-launch the app from the patient's chart: nothing you typed is lost.</p>");
        if (mode.ReadOnly)
            html.Append("<p class=\"notice\" id=\"read-only\">").Append(E(mode.ReadOnlyReason ?? ReadOnlyNotice)).Append("</p>");
        if (chart?.Practitioner is { } dr)
            html.Append("<p class=\"muted\">Documenting as ").Append(E(dr.Name)).Append("</p>");
        else if (session.FhirUser is not null)
            html.Append("<p class=\"muted\">Signed in as ").Append(E(session.FhirUser)).Append("</p>");
        if (chart?.Encounter is { } enc)
            html.Append("<p class=\"muted\">Encounter: ").Append(E(enc.Type ?? enc.Reference)).Append(' ').Append(E(enc.Start)).Append("</p>");

        html.Append("<h1>Case for occipital nerve rhizotomy</h1>");
        html.Append("<p class=\"next\"><a href=\"/s/").Append(E(session.LaunchId)).Append("/note?template=occipital-neurectomy\">Write the operative note (neurectomy)</a>")
            .Append(" · <a href=\"/s/").Append(E(session.LaunchId)).Append("/note?template=occipital-coagulation\">Write the operative note (coagulation)</a>");
        // Every other template the site installed, by its title.
        foreach (var t in (templates ?? []).Where(t => t.Id is not null and not ("occipital-neurectomy" or "occipital-coagulation")))
            html.Append(" · <a href=\"/s/").Append(E(session.LaunchId)).Append("/note?template=").Append(E(Uri.EscapeDataString(t.Id!))).Append("\">Write the operative note: ").Append(E(t.Title)).Append("</a>");
        html.Append("</p>");
        foreach (var d in drafts ?? [])
        {
            var offset = d.TimeZone is { } tz && System.Text.RegularExpressions.Regex.IsMatch(tz, @"^[+-](0\d|1[0-4]):[0-5]\d$") ? Form.FormState.ParseOffset(tz) : TimeSpan.Zero;
            html.Append("<p class=\"notice draft\">Unsigned draft: <a href=\"/s/").Append(E(session.LaunchId)).Append("/note?template=").Append(E(Uri.EscapeDataString(d.TemplateId)))
                // The link says what it does on its own (a screen reader's list of links shows it without this paragraph).
                .Append("\">Resume the draft (").Append(E(d.Title)).Append(")</a>, last saved <time datetime=\"").Append(E(d.SavedAt.ToString("O", CultureInfo.InvariantCulture))).Append("\">")
                .Append(E(d.SavedAt.ToOffset(offset).ToString("d MMM yyyy HH:mm", CultureInfo.InvariantCulture))).Append(offset == TimeSpan.Zero ? " UTC" : "").Append("</time>: open it to carry on where you left off.</p>");
        }
        if (chart is null)
        {
            html.Append("<p>The chart has not been read yet.</p></main>");
            return Shell("Case evidence", html.ToString());
        }
        foreach (var w in chart.Warnings)
            html.Append("<p class=\"notice\">").Append(E(w)).Append("</p>");
        if (!chart.Complete)
            html.Append("<p class=\"notice\">Part of the chart could not be read: what follows may be incomplete. Reload the page to try again.</p>");

        var ev = chart.Evidence;
        html.Append(EvidenceSummary.AtAGlance(ev));
        html.Append("<h2>Gaps</h2>");
        if (ev.Gaps.Count == 0)
            html.Append("<p>None found: the work-up is documented.</p>");
        else
        {
            html.Append("<ul class=\"gaps\">");
            foreach (var g in ev.Gaps)
                html.Append("<li data-gap=\"").Append(E(g.Code)).Append("\">").Append(E(g.Text)).Append("</li>");
            html.Append("</ul>");
        }

        html.Append(EvidenceSummary.Necessity(ev)).Append(EvidenceSummary.Flags(ev));
        html.Append("<h2>History</h2>").Append(EvidenceSummary.Timeline(ev));

        html.Append("<h2>Diagnoses</h2>");
        Table(html, EvidenceSummary.DiagnosisHeaders, EvidenceSummary.DiagnosisRows(ev));
        html.Append("<h2>Prior occipital nerve blocks</h2>");
        // Evidence built by hand (or by an older builder) has blocks without details: show what there is.
        if (ev.BlockDetails.Count > 0)
            Table(html, EvidenceSummary.BlockHeaders, EvidenceSummary.BlockRows(ev));
        else
            Table(html, ["Date", "Side", "Relief", "As recorded", "Source"], ev.Blocks.Select(b => new[]
            {
                b.Date ?? "", b.Side?.ToString() ?? "not stated", b.ReliefPercent is { } r ? r.ToString(CultureInfo.InvariantCulture) + "%" : "",
                b.ReliefText ?? "", b.Source?.Reference ?? "",
            }));
        html.Append("<h2>Conservative treatment tried</h2>");
        Table(html, EvidenceSummary.TherapyHeaders, ev.TherapyDetails.Count > 0
            ? EvidenceSummary.TherapyRows(ev.TherapyDetails.Where(t => t.Counts))
            : EvidenceSummary.TherapyRows(ev.Therapies.Select(t => new EvidenceTherapy(t, null, null, true, true, null))));
        if (ev.TherapyDetails.Any(t => !t.Counts))
        {
            html.Append("<h3>Listed apart: not linked to the headache or neck, and not of a headache-relevant class</h3>");
            Table(html, EvidenceSummary.TherapyHeaders, EvidenceSummary.TherapyRows(ev.TherapyDetails.Where(t => !t.Counts)));
        }
        html.Append("<h2>Imaging</h2>");
        Table(html, ["Study", "Date", "Source"], ev.Imaging.Select(i => new[] { i.Text, i.Date ?? "", i.Source?.Reference ?? "" }));
        html.Append("<p class=\"muted\">Read from the EHR: ").Append(chart.ResourcesRead).Append(" resources in ")
            .Append(chart.RoundTrips).Append(" requests.</p></main>");
        return Shell("Case evidence", html.ToString(), EvidenceSummary.Head);
    }

    private static void Table(StringBuilder html, string[] headers, IEnumerable<string[]> rows)
    {
        var list = rows.ToList();
        if (list.Count == 0)
        {
            html.Append("<p class=\"muted\">None recorded.</p>");
            return;
        }
        html.Append("<table><thead><tr>");
        foreach (var h in headers)
            html.Append("<th>").Append(E(h)).Append("</th>");
        html.Append("</tr></thead><tbody>");
        foreach (var row in list)
        {
            html.Append("<tr>");
            foreach (var cell in row)
                html.Append("<td>").Append(E(cell)).Append("</td>");
            html.Append("</tr>");
        }
        html.Append("</tbody></table>");
    }

    /// <summary>A FHIR date/dateTime (possibly partial), or the start of a "start to end" period text.</summary>
    public static DateOnly? ParseDate(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        var s = value.Trim();
        var cut = s.IndexOf(' ');
        if (cut > 0)
            s = s[..cut];
        if (s.Length >= 10 && DateOnly.TryParseExact(s[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            return d;
        if (s.Length >= 7 && DateOnly.TryParseExact(s[..7], "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out d))
            return d;
        if (s.Length >= 4 && int.TryParse(s[..4], NumberStyles.None, CultureInfo.InvariantCulture, out var y) && y is > 1800 and < 2200)
            return new DateOnly(y, 1, 1);
        return null;
    }
}
