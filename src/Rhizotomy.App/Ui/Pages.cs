using System.Text;
using System.Text.Encodings.Web;

namespace Rhizotomy.App.Ui;

/// <summary>Server-rendered HTML: one page shell, plain-message error pages. Every chart value goes through <see cref="E"/>.</summary>
public static class Pages
{
    public static string E(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    public static string Shell(string title, string body) => Shell(title, body, "");

    /// <summary>The page shell with extra head elements (a page's own stylesheet or script).</summary>
    public static string Shell(string title, string body, string head)
    {
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<meta name=\"referrer\" content=\"no-referrer\">")
            .Append("<title>").Append(E(title)).Append("</title>")
            .Append("<link rel=\"stylesheet\" href=\"/app.css\">").Append(head).Append("</head><body>")
            .Append(body)
            .Append("</body></html>");
        return html.ToString();
    }

    /// <summary>
    /// The one failure page: what happened, the next step, the right status; never a stack trace or
    /// an internal detail. Every failure a surgeon can meet is rendered by it (see the README).
    /// </summary>
    public static IResult Error(int status, string title, string message, string nextStep) =>
        Results.Content(
            Shell(title, $"<main class=\"message\"><h1>{E(title)}</h1><p>{E(message)}</p><p class=\"next\"><strong>What to do:</strong> {E(nextStep)}</p></main>"),
            "text/html; charset=utf-8", Encoding.UTF8, status);

    /// <summary>Said at the top of the evidence and note pages of a read-only launch (no permission to file notes).</summary>
    public const string ReadOnlyNotice = "Read-only: the EHR did not grant the app permission to file notes. You can review the chart, fill in and check the note (the draft is kept), but not sign it here.";

    /// <summary>The next step after most failures of a launch: the EHR starts a new one.</summary>
    public const string Relaunch = "Open the app again from the patient's chart in the EHR.";

    /// <summary>The launch-session is gone (idle or too old, another browser, or never existed).</summary>
    public static IResult SessionEnded(string nextStep = "Open the app again from the patient's chart in the EHR: the note form comes back as it was last saved.") =>
        Error(StatusCodes.Status401Unauthorized, "Your session has ended",
            "The app keeps a session for a limited time, and only in the browser that opened it.", nextStep);

    /// <summary>The EHR's FHIR API did not answer (or answered with errors) when the chart was read.</summary>
    public static IResult EhrUnavailable() => Error(StatusCodes.Status503ServiceUnavailable, "The EHR is not answering",
        "The app could not read this patient's record from the EHR just now, so it shows nothing rather than part of a chart.",
        "Wait a minute and reload this page: the app asks the EHR again, and nothing is lost. If it keeps happening, tell your EHR support team.");

    public const string Css = """
        body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1b1f24;background:#fff;font-size:15px}
        main{padding:12px 18px;max-width:1100px}
        .message{max-width:640px;margin:40px auto}
        .next{background:#eef4ff;padding:10px;border-left:4px solid #2f6fde}
        .banner{background:#f3f5f7;border-bottom:1px solid #d4d9de;padding:8px 18px;display:flex;gap:24px;flex-wrap:wrap}
        .banner strong{font-size:1.1em}
        .notice{padding:8px 12px;margin:8px 0;border-left:4px solid #c98a00;background:#fff7e0}
        .relaunch{border-left-color:#c0392b;background:#fdecea}
        table{border-collapse:collapse;width:100%;margin:6px 0 14px}
        th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e2e6ea;vertical-align:top}
        th{font-weight:600;background:#fafbfc}
        .gaps li{color:#9a3412}
        .muted{color:#5f6b76}
        .tag{font-size:.8em;padding:1px 5px;border-radius:3px;background:#e8eaed}
        svg text{font-size:11px;fill:#1b1f24}
        """;
}
