namespace Rhizotomy.App.WriteBack;

/// <summary>Configuration section <c>App:WriteBack</c>: the outbox store and the sender.</summary>
public sealed class WriteBackOptions
{
    public const string Section = "App:WriteBack";

    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = "sqlite";
    /// <summary>Connection string; for SQLite the default is a file under the content root's <c>App_Data</c>.</summary>
    public string? ConnectionString { get; set; }
    /// <summary>A written note's content is removed from the store this long after the EHR accepted it.</summary>
    public double RetentionHours { get; set; } = 72;
    /// <summary>First retry delay; doubles per attempt (with full jitter) up to <see cref="MaxDelayMs"/>.</summary>
    public int BaseDelayMs { get; set; } = 500;
    public int MaxDelayMs { get; set; } = 60_000;
    /// <summary>A <c>Retry-After</c> is honoured up to this long.</summary>
    public int MaxRetryAfterSeconds { get; set; } = 300;
    /// <summary>How often the sender looks for notes that are due.</summary>
    public int PollMs { get; set; } = 1000;
    /// <summary>Notes sent at the same time by one instance.</summary>
    public int Concurrency { get; set; } = 4;
    /// <summary>A claimed note is another instance's again after this long (the claimer crashed).</summary>
    public int LeaseSeconds { get; set; } = 60;
    /// <summary>One HTTP call to the EHR is given up (and counted as ambiguous) after this long.</summary>
    public int AttemptTimeoutSeconds { get; set; } = 30;
    /// <summary>How long <c>POST /api/notes</c> waits for the first attempt before answering 202.</summary>
    public int InlineWaitMs { get; set; } = 10_000;
    /// <summary>A note not written after this many attempts ends <c>failed</c> with its reason (its answers are kept).</summary>
    public int MaxAttempts { get; set; } = 40;
    /// <summary>A note not written this long after signing ends <c>failed</c> with its reason (its answers are kept).</summary>
    public double GiveUpAfterMinutes { get; set; } = 24 * 60;
    /// <summary>Start the background sender (tests of the store alone turn it off).</summary>
    public bool SenderEnabled { get; set; } = true;
}
