using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Rhizotomy.App.Sessions;

namespace Rhizotomy.App.Audit;

/// <summary>One audited action: who (the practitioner's reference), what (an action), about whom (the patient's reference), which note. References and ids only: no PHI.</summary>
public sealed class AuditRecord
{
    public long Id { get; set; }
    /// <summary>Unix milliseconds.</summary>
    public long Time { get; set; }
    /// <summary><see cref="AuditActions"/>.</summary>
    public required string Action { get; set; }
    public string? User { get; set; }
    public string? Patient { get; set; }
    public required string Issuer { get; set; }
    public string? Note { get; set; }
}

/// <summary>What the audit trail records.</summary>
public static class AuditActions
{
    public const string OpenCase = "open-case";
    public const string ViewNote = "view-note";
    public const string SignNote = "sign-note";
    public const string AmendNote = "amend-note";
    public static readonly string[] All = [OpenCase, ViewNote, SignNote, AmendNote];
}

/// <summary>
/// The audit trail's own database (its own DbContext, the outbox's provider switch: <see cref="WriteBack.AppStore"/>). The schema is
/// EF Core migrations, one set per provider (<see cref="SqliteAuditDb"/>, <see cref="PostgresAuditDb"/>), with their own history table
/// <see cref="HistoryTable"/> (the audit store may share the outbox's database), applied at start by <see cref="WriteBack.StoreMigrations"/>.
/// </summary>
public class AuditDb(DbContextOptions options) : DbContext(options)
{
    public const string HistoryTable = "__AuditMigrationsHistory";

    public DbSet<AuditRecord> Records => Set<AuditRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var record = modelBuilder.Entity<AuditRecord>();
        record.ToTable("audit_events");
        record.HasKey(r => r.Id);
        record.Property(r => r.Action).HasMaxLength(32);
        record.Property(r => r.User).HasMaxLength(256);
        record.Property(r => r.Patient).HasMaxLength(256);
        record.Property(r => r.Issuer).HasMaxLength(512);
        record.Property(r => r.Note).HasMaxLength(128);
        record.HasIndex(r => r.Time);
        record.HasIndex(r => r.Patient);
        record.HasIndex(r => r.User);
    }
}

/// <summary>
/// Records audited actions of a launch. A view of the same note by the same user is recorded once per
/// <see cref="ViewWindow"/> (the signed-note page refreshes itself while a note is pending; the status API is polled):
/// the trail itself says whether it holds such a view already, so every instance sharing the store agrees, and a view
/// that could not be stored is not taken as recorded.
/// A failure to record is logged (as an error, without PHI) and does not fail the surgeon's request.
/// </summary>
public sealed class AuditTrail(IDbContextFactory<AuditDb> factory, TimeProvider clock, ILogger<AuditTrail> log)
{
    public static readonly TimeSpan ViewWindow = TimeSpan.FromMinutes(5);

    public async Task RecordAsync(LaunchSession session, string action, string? noteId, CancellationToken ct)
    {
        var user = session.FhirUser;
        var patient = session.Patient is null ? null : "Patient/" + session.Patient;
        var issuer = session.Issuer;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        try
        {
            await using var db = await factory.CreateDbContextAsync(ct);
            if (action == AuditActions.ViewNote)
            {
                var since = now - (long)ViewWindow.TotalMilliseconds;
                if (await db.Records.AnyAsync(r => r.Action == action && r.Note == noteId && r.User == user && r.Patient == patient && r.Issuer == issuer && r.Time > since, CancellationToken.None))
                    return;
            }
            db.Records.Add(new AuditRecord { Time = now, Action = action, User = user, Patient = patient, Issuer = issuer, Note = noteId });
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is DbException or DbUpdateException or InvalidOperationException)
        {
            log.LogError("Audit record of {Action} could not be stored: {Error}", action, e.GetType().Name);
        }
    }
}
