namespace Rhizotomy.App.Drafts;

/// <summary>Configuration section <c>App:Drafts</c>: how long an unsigned draft (PHI at rest) is kept.</summary>
public sealed class DraftOptions
{
    public const string Section = "App:Drafts";

    /// <summary>A draft not saved for this long is removed from the store (and no longer offered for resume).</summary>
    public double RetentionDays { get; set; } = 14;
    /// <summary>How often the store is swept for such drafts (and once at start).</summary>
    public int PurgeIntervalSeconds { get; set; } = 900;

    /// <summary>The retention as a span; a value of zero or less keeps no draft past its next sweep, so it is read as the default.</summary>
    public TimeSpan Retention => TimeSpan.FromDays(RetentionDays > 0 ? RetentionDays : 14);
}
