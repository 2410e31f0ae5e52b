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

    /// <summary>A plain message with the next step; never a stack trace.</summary>
    public static IResult Error(int status, string title, string message, string nextStep) =>
        Results.Content(
            Shell(title, $"<main class=\"message\"><h1>{E(title)}</h1><p>{E(message)}</p><p class=\"next\"><strong>What to do:</strong> {E(nextStep)}</p></main>"),
            "text/html; charset=utf-8", Encoding.UTF8, status);

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
