using System.Globalization;
using Rhizotomy.App.Ehr;
using Rhizotomy.App.Sessions;
using Rhizotomy.App.Ui;
using Rhizotomy.Core.Clinical;
using Rhizotomy.App.Components;
using Rhizotomy.App.Components.Case;
using static Rhizotomy.App.Ui.Pages;

namespace Rhizotomy.App.Evidence;

/// <summary>The app's first page after the launch: banner, mode, case evidence, gaps, timeline.</summary>
public static class EvidencePage
{
    public static IEndpointRouteBuilder MapEvidencePage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Pages.Render<HomePage>());

        app.MapGet("/s/{launchId}", async (HttpContext context, LaunchScope bound, SessionAccess sessions, Drafts.DraftStore drafts, Rhizotomy.Core.Templates.TemplateCatalog catalog, Form.MyUsual myUsual, CancellationToken ct) =>
        {
            var session = bound.Session;
            session = await sessions.EnsureChartAsync(session, ct);
            if (Unreadable(session.Chart))
                return EhrUnavailable();
            // A re-launch for the same patient and surgeon says at once which notes were left unsigned.
            var unsigned = session.Patient is null || session.FhirUser is null ? [] : (await drafts.ListAsync(session, ct))
                .Select(d => catalog.Find(d.Response.Questionnaire) is { Id: { } id } q ? new DraftLink(id, q.Title ?? id, d.SavedAt, d.TimeZone) : null)
                .OfType<DraftLink>().ToList();
            // "With my usual": the templates this surgeon has signed a note of before (any patient).
            var usual = await myUsual.TemplatesAsync(session, ct);
            return Pages.Render<CasePage>(new()
            {
                [nameof(CasePage.Session)] = session,
                [nameof(CasePage.Drafts)] = unsigned,
                [nameof(CasePage.Templates)] = catalog.List(),
                [nameof(CasePage.WithUsual)] = catalog.List().Where(t => t.Id is not null && usual.Contains(t.Url)).ToList(),
            });
        }).RequireLaunch();
        return app;
    }

    /// <summary>An unsigned draft of a template, offered on the case page.</summary>
    public sealed record DraftLink(string TemplateId, string Title, DateTimeOffset SavedAt, string? TimeZone);

    /// <summary>The chart read failed so far that not even the patient could be read: the EHR is down, not a gap in the chart.</summary>
    public static bool Unreadable(ChartSnapshot? chart) => chart is { Complete: false, Patient: null };

    /// <summary>The dated events of the case in date order: what the timeline on the case and note pages shows.</summary>
    public static List<(DateOnly When, string Label, string Kind)> TimelineEvents(CaseEvidence ev)
    {
        var events = new List<(DateOnly When, string Label, string Kind)>();
        void Add(string? date, string label, string kind)
        {
            if (ParseDate(date) is { } d)
                events.Add((d, label, kind));
        }
        foreach (var d in ev.Diagnoses.DistinctBy(d => d.Source.Reference))
            Add(d.Onset, "Onset: " + d.Concept.Text, "dx");
        foreach (var b in ev.Blocks)
            Add(b.Date, $"Block {b.Side}" + (b.ReliefPercent is { } r ? $" ({r}% relief)" : ""), "block");
        foreach (var t in ev.Therapies)
            Add(t.Period, t.Text, "therapy");
        foreach (var i in ev.Imaging)
            Add(i.Date, i.Text, "imaging");
        events.Sort((a, b) => a.When.CompareTo(b.When));
        return events;
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
