using System.Globalization;
using System.Text.RegularExpressions;

namespace Rhizotomy.App.WriteBack;

/// <summary>
/// The one place where the outbox's own reasons (<see cref="OutboxNote.LastError"/>, as <see cref="NoteSender"/> and
/// <see cref="EhrWriter"/> record them: <c>HTTP 503</c>, <c>timed out</c>, <c>EHR capabilities unreadable</c>) become
/// plain words for the surgeon. The technical reason stays in the API (<c>reason</c>) for the EHR team; the pages and
/// the signing result show this <c>message</c>, which keeps the status code in brackets so both can talk about it.
/// </summary>
public static partial class NoteMessages
{
    /// <summary>A sentence (or two) on why the note is where it is, and what the app does about it.</summary>
    /// <param name="ehrSaid">The words of the EHR's refusal (its OperationOutcome's first error), when it gave any.</param>
    public static string Of(NoteStatus status, string? reason, int attempts, string? ehrSaid = null) => status switch
    {
        NoteStatus.Written => "The EHR has accepted the note.",
        NoteStatus.WaitingForLaunch => "Your EHR sign-in has expired, so the app cannot send the note until the app is opened again from the patient's chart.",
        NoteStatus.Failed => Refused(reason, ehrSaid),
        _ => Pending(reason, attempts),
    };

    private static string Pending(string? reason, int attempts)
    {
        if (reason is null)
            return attempts == 0 ? "The first attempt to send it is under way." : "The EHR has not answered yet; the app keeps trying.";
        if (Http(reason) is { } code)
        {
            return code switch
            {
                503 or 502 or 504 => $"The EHR is not answering at the moment (HTTP {code}); the app keeps trying.",
                429 => "The EHR is busy and asked the app to wait (HTTP 429); the app tries again after the pause it asked for.",
                408 => "The EHR took too long to answer (HTTP 408); the app keeps trying.",
                409 => "The EHR was busy with another change to the same records (HTTP 409); the app tries again.",
                >= 500 => $"The EHR ran into a problem of its own (HTTP {code}); the app keeps trying.",
                _ => $"The EHR has not accepted it yet (HTTP {code}); the app keeps trying.",
            };
        }
        return reason switch
        {
            "connection failed" => "The app cannot reach the EHR at the moment (no connection); the app keeps trying.",
            "timed out" => "The EHR did not answer in time; the app keeps trying, and looks first so that the note is never filed twice.",
            "EHR capabilities unreadable" => "The EHR did not say how it takes notes (its capability statement could not be read); the app keeps trying.",
            "EHR token endpoint unreachable" => "The app cannot reach the EHR's sign-in service at the moment; the app keeps trying.",
            "internal error" => "Something went wrong in the app while sending the note; the app keeps trying.",
            _ => $"The EHR has not accepted it yet ({reason}); the app keeps trying.",
        };
    }

    /// <summary>How a note the sender gave up on starts its reason (<c>gave up after 40 attempts: HTTP 503</c>).</summary>
    public const string GaveUp = "gave up after";

    private static string Refused(string? reason, string? ehrSaid)
    {
        if (reason is not null && reason.StartsWith("the stored note can no longer be read", StringComparison.Ordinal))
            return "The app can no longer read the stored note (its encryption key was lost), so it cannot be sent.";
        if (reason is not null && reason.StartsWith(GaveUp, StringComparison.Ordinal))
            return $"The EHR did not take the note in time, so the app stopped trying ({reason}). The signed answers are kept: ask the EHR team to send it again once the EHR takes notes.";
        var refused = RefusedStatus(reason);
        // What the EHR said is what the surgeon can act on (shown to them only, never logged).
        return ehrSaid is { Length: > 0 } said
            ? $"{refused} The EHR said: \u201c{(said.Length > 300 ? said[..300] + "\u2026" : said)}\u201d. Correct what it names and sign again, or ask the EHR team."
            : refused;
    }

    private static string RefusedStatus(string? reason)
    {
        return Http(reason) switch
        {
            400 => "The EHR could not read the note as the app sent it (HTTP 400).",
            403 => "The EHR did not allow the app to file the note (HTTP 403).",
            404 => "The EHR has no place to file the note (HTTP 404).",
            412 => "The EHR found records that conflict with the note (HTTP 412).",
            422 => "The EHR found that the note does not meet its rules (HTTP 422).",
            { } code => $"The EHR refused the note (HTTP {code}).",
            null => reason is null ? "The EHR refused the note without saying why." : $"The EHR refused the note ({reason}).",
        };
    }

    private static int? Http(string? reason) =>
        reason is not null && HttpStatus().Match(reason) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    [GeneratedRegex("^HTTP ([1-5][0-9]{2})$")]
    private static partial Regex HttpStatus();
}
