namespace Rhizotomy.App.Security;

/// <summary>
/// Security events as structured log events: one message template, the event's name in <c>SecurityEvent</c>
/// and its reason in <c>Reason</c> (a fixed word, never user input). No PHI, no token, no launch or browser id:
/// who did what to which patient is the audit trail's (<see cref="Audit.AuditTrail"/>), not the log's.
/// </summary>
public static class SecurityEvents
{
    public const string SignIn = "sign-in";
    public const string SessionEnd = "session-end";
    public const string AccessRefused = "access-refused";
    public const string NoteSigned = "note-signed";
    public const string NoteAmended = "note-amended";

    private const string Category = "Rhizotomy.App.Security";

    public static void Log(HttpContext http, string name, string reason, string? noteId = null)
    {
        var log = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        Log(log, name, reason, noteId);
    }

    public static void Log(ILogger log, string name, string reason, string? noteId = null)
    {
        var level = name == AccessRefused ? LogLevel.Warning : LogLevel.Information;
        if (noteId is null)
            log.Log(level, "Security event {SecurityEvent}: {Reason}", name, reason);
        else
            log.Log(level, "Security event {SecurityEvent}: {Reason} (note {NoteId})", name, reason, noteId);
    }
}
