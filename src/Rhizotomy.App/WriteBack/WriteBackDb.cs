using Microsoft.EntityFrameworkCore;

namespace Rhizotomy.App.WriteBack;

/// <summary>Where a signed note is on its way to the EHR.</summary>
public enum NoteStatus
{
    /// <summary>Stored; being sent or waiting for its next attempt.</summary>
    Pending,
    /// <summary>The EHR accepted it; <see cref="OutboxNote.Written"/> lists what it holds.</summary>
    Written,
    /// <summary>The EHR refused it for a reason retrying cannot fix; <see cref="OutboxNote.Outcome"/> says why.</summary>
    Failed,
    /// <summary>No token can be had: the surgeon must open the app again from the EHR.</summary>
    WaitingForLaunch,
}

/// <summary>
/// One signed note in the outbox. Everything that could identify the patient (the composed
/// resources, the tokens, the EHR's OperationOutcome) is in <see cref="Payload"/>,
/// <see cref="Tokens"/> and <see cref="Outcome"/>, encrypted with data protection; the clear
/// columns are ids, counters and times. Times are Unix milliseconds so both SQLite and
/// PostgreSQL can compare them in SQL.
/// </summary>
public sealed class OutboxNote
{
    /// <summary>The note's business identifier (from the QuestionnaireResponse identifier).</summary>
    public required string Id { get; set; }
    /// <summary>Hash of issuer, patient and practitioner: who may see this note's status.</summary>
    public required string OwnerKey { get; set; }
    /// <summary>Hash of issuer and practitioner: notes a new launch of this surgeon can pick up.</summary>
    public required string SurgeonKey { get; set; }
    public required string Issuer { get; set; }
    public NoteStatus Status { get; set; }
    public string? Strategy { get; set; }
    /// <summary>The <see cref="WritePlan"/> as JSON, fixed at the first attempt so a resumed note keeps its strategy.</summary>
    public string? Plan { get; set; }
    public int Attempts { get; set; }
    public int RoundTrips { get; set; }
    public long CreatedAt { get; set; }
    public long NextAttemptAt { get; set; }
    public long? WrittenAt { get; set; }
    public long? PurgeAfter { get; set; }
    public string? LeaseOwner { get; set; }
    public long LeaseUntil { get; set; }
    /// <summary>Bumped on every change: two instances (or two requests) cannot both claim a note.</summary>
    public int Version { get; set; }
    /// <summary>Protected <see cref="NotePayload"/> JSON; null once purged after retention.</summary>
    public byte[]? Payload { get; set; }
    /// <summary>Protected <see cref="TokenState"/> JSON.</summary>
    public byte[]? Tokens { get; set; }
    /// <summary>JSON map of entry fullUrl to the reference the EHR gave it (<c>Procedure/12</c>): progress and result.</summary>
    public string? Written { get; set; }
    /// <summary>Short reason of the last failure, without PHI (<c>HTTP 503</c>, <c>timed out</c>).</summary>
    public string? LastError { get; set; }
    /// <summary>Protected OperationOutcome JSON of a final refusal.</summary>
    public byte[]? Outcome { get; set; }
    /// <summary>A send attempt may have reached the EHR without an answer: look before sending again.</summary>
    public bool Ambiguous { get; set; }
    /// <summary>The credentials of the last attempt: <c>launch</c> (the surgeon's token) or <c>backend-services</c>.</summary>
    public string? SentWith { get; set; }
}

/// <summary>An in-progress note, one per patient, surgeon and template (see <c>Drafts.DraftStore</c>).</summary>
public sealed class DraftRecord
{
    /// <summary>Hash of issuer, patient, practitioner and template canonical (rows saved before drafts were per template: of issuer, patient and practitioner).</summary>
    public required string OwnerKey { get; set; }
    /// <summary>Protected <c>Drafts.DraftContent</c> JSON: the QuestionnaireResponse and the raw form fields (older rows: the QuestionnaireResponse JSON alone).</summary>
    public required byte[] Payload { get; set; }
    public long UpdatedAt { get; set; }
    public int Version { get; set; }
}

/// <summary>What one EHR's refusals taught the write ladder (see <see cref="WriteLadder"/>): no PHI, the issuer and a strategy.</summary>
public sealed class EhrWriteMemory
{
    /// <summary>The normalised issuer.</summary>
    public required string Issuer { get; set; }
    /// <summary>The strategy to start at (<c>individual</c>, <c>document-only</c>).</summary>
    public required string Strategy { get; set; }
    /// <summary>Why: the refusal that moved it down (status and the EHR's issue code, never its wording).</summary>
    public string? Reason { get; set; }
    public long UpdatedAt { get; set; }
}

/// <summary>
/// The app's own store: the outbox of signed notes, the drafts, and what each EHR's refusals taught the write ladder. The schema is EF Core migrations, one set
/// per provider (<see cref="SqliteWriteBackDb"/>, <see cref="PostgresWriteBackDb"/>), applied at start by
/// <see cref="StoreMigrations"/>; the rest of the app uses this type.
/// </summary>
public class WriteBackDb(DbContextOptions options) : DbContext(options)
{
    public DbSet<OutboxNote> Notes => Set<OutboxNote>();
    public DbSet<DraftRecord> Drafts => Set<DraftRecord>();
    public DbSet<EhrWriteMemory> Ladder => Set<EhrWriteMemory>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var note = modelBuilder.Entity<OutboxNote>();
        note.ToTable("outbox_notes");
        note.HasKey(n => n.Id);
        note.Property(n => n.Id).HasMaxLength(128);
        note.Property(n => n.OwnerKey).HasMaxLength(64);
        note.Property(n => n.SurgeonKey).HasMaxLength(64);
        note.Property(n => n.Issuer).HasMaxLength(512);
        note.Property(n => n.Status).HasConversion<string>().HasMaxLength(32);
        note.Property(n => n.Strategy).HasMaxLength(32);
        note.Property(n => n.SentWith).HasMaxLength(32);
        note.Property(n => n.LeaseOwner).HasMaxLength(64);
        note.Property(n => n.LastError).HasMaxLength(300);
        note.Property(n => n.Version).IsConcurrencyToken();
        note.HasIndex(n => new { n.Status, n.NextAttemptAt });
        note.HasIndex(n => n.SurgeonKey);

        var draft = modelBuilder.Entity<DraftRecord>();
        draft.ToTable("drafts");
        draft.HasKey(d => d.OwnerKey);
        draft.Property(d => d.OwnerKey).HasMaxLength(64);
        draft.Property(d => d.Version).IsConcurrencyToken();

        var ladder = modelBuilder.Entity<EhrWriteMemory>();
        ladder.ToTable("ehr_write_memory");
        ladder.HasKey(l => l.Issuer);
        ladder.Property(l => l.Issuer).HasMaxLength(512);
        ladder.Property(l => l.Strategy).HasMaxLength(32);
        ladder.Property(l => l.Reason).HasMaxLength(300);
    }
}
