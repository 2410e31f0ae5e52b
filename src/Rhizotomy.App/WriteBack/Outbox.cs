using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Hl7.Fhir.Serialization;
using Rhizotomy.App.Sessions;

namespace Rhizotomy.App.WriteBack;

/// <summary>What the sender needs of a note, kept encrypted in the store.</summary>
/// <param name="Bundle">The composed note as a transaction Bundle (FHIR JSON from Firely).</param>
public sealed record NotePayload(string Bundle, string PatientId, string? Encounter, string Surgeon)
{
    private static readonly FhirJsonDeserializer Parser = new(new DeserializerSettings());

    /// <summary>The composed note, parsed (the sender, the signed-note page, amend and "My usual" all read it).</summary>
    public Hl7.Fhir.Model.Bundle ReadBundle() => Parser.Deserialize<Hl7.Fhir.Model.Bundle>(Bundle);
}

/// <summary>The token a note is sent with, and the launch it came from (encrypted in the store).</summary>
public sealed record TokenState(
    string AccessToken,
    string? RefreshToken,
    DateTimeOffset ExpiresAt,
    string TokenEndpoint,
    string? LaunchId,
    string? BrowserId,
    bool Rebound = false);

/// <summary>
/// The outbox in the app's own database: add a note once, claim it for one attempt at a time
/// (a lease with a version check, so two senders never send it together), record every attempt.
/// </summary>
public sealed class Outbox(IDbContextFactory<WriteBackDb> factory, IDataProtectionProvider protection, IOptions<WriteBackOptions> options, TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly IDataProtector _protector = protection.CreateProtector("Rhizotomy.App.WriteBack.v1");
    private readonly string _instance = Guid.NewGuid().ToString("N");

    public long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public static string Key(params string?[] parts) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts.Select(p => p ?? ""))))).ToLowerInvariant();

    public static string OwnerKey(LaunchSession session) => Key("owner", AppOptionsKey(session.Issuer), session.Patient, session.FhirUser);
    public static string SurgeonKey(LaunchSession session) => Key("surgeon", AppOptionsKey(session.Issuer), session.FhirUser);
    /// <summary>A note is read only by a launch of its issuer, patient and surgeon (page, API, amend).</summary>
    public static bool IsOwnedBy(OutboxNote note, LaunchSession session) =>
        session.FhirUser is not null && session.Patient is not null && note.OwnerKey == OwnerKey(session);

    private static string AppOptionsKey(string issuer) => Launch.AppOptions.Normalise(issuer) ?? issuer;

    public byte[] Protect<T>(T value) => _protector.Protect(JsonSerializer.SerializeToUtf8Bytes(value, Json));

    public T? Unprotect<T>(byte[]? bytes) where T : class
    {
        if (bytes is null)
            return null;
        try
        {
            return JsonSerializer.Deserialize<T>(_protector.Unprotect(bytes), Json);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    public static TokenState TokensOf(LaunchSession session) =>
        new(session.AccessToken, session.RefreshToken, session.AccessTokenExpiresAt, session.TokenEndpoint, session.LaunchId, session.BrowserId);

    /// <summary>Stores a new note, or returns the one already stored under its id (a replay).</summary>
    public async Task<(OutboxNote Note, bool Created)> AddAsync(OutboxNote note, CancellationToken ct)
    {
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            var existing = await db.Notes.AsNoTracking().FirstOrDefaultAsync(n => n.Id == note.Id, ct);
            if (existing is not null)
                return (existing, false);
            db.Notes.Add(note);
            try
            {
                await db.SaveChangesAsync(ct);
                return (note, true);
            }
            catch (DbUpdateException)
            {
                // A concurrent replay inserted it first.
            }
        }
        await using var again = await factory.CreateDbContextAsync(ct);
        var winner = await again.Notes.AsNoTracking().FirstOrDefaultAsync(n => n.Id == note.Id, ct);
        return winner is null ? throw new InvalidOperationException("The note could not be stored.") : (winner, false);
    }

    public async Task<OutboxNote?> FindAsync(string id, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Notes.AsNoTracking().FirstOrDefaultAsync(n => n.Id == id, ct);
    }

    /// <summary>
    /// This surgeon's latest signed notes (newest first) whose content is still kept and that the EHR has not refused: where
    /// "My usual" looks for the surgeon's previous note of a template.
    /// </summary>
    public async Task<List<OutboxNote>> LatestOfSurgeonAsync(string surgeonKey, int limit, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Notes.AsNoTracking()
            .Where(n => n.SurgeonKey == surgeonKey && n.Payload != null && n.Status != NoteStatus.Failed)
            .OrderByDescending(n => n.CreatedAt).Take(limit).ToListAsync(ct);
    }

    /// <summary>Ids of notes due for an attempt and not claimed by a live sender.</summary>
    public async Task<List<string>> DueAsync(int limit, CancellationToken ct)
    {
        var now = Now;
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Notes.AsNoTracking()
            .Where(n => n.Status == NoteStatus.Pending && n.NextAttemptAt <= now && n.LeaseUntil < now)
            .OrderBy(n => n.NextAttemptAt).Select(n => n.Id).Take(limit).ToListAsync(ct);
    }

    /// <summary>Claims a due note for one attempt (<paramref name="immediately"/>: due or not); null when someone else has it.</summary>
    public async Task<OutboxNote?> ClaimAsync(string id, CancellationToken ct, bool immediately = false)
    {
        var now = Now;
        await using var db = await factory.CreateDbContextAsync(ct);
        var note = await db.Notes.FirstOrDefaultAsync(n => n.Id == id, ct);
        if (note is null || note.Status != NoteStatus.Pending || (!immediately && note.NextAttemptAt > now) || note.LeaseUntil >= now)
            return null;
        // A lease never released means a sender died mid-attempt: the EHR may have the note already.
        if (note.LeaseOwner is not null)
            note.Ambiguous = true;
        note.LeaseOwner = _instance;
        note.LeaseUntil = now + options.Value.LeaseSeconds * 1000L;
        note.Version++;
        try
        {
            await db.SaveChangesAsync(ct);
            return note;
        }
        catch (DbUpdateConcurrencyException)
        {
            return null;
        }
    }

    /// <summary>Saves a claimed note (progress or result); false when the lease was lost to another sender.</summary>
    public async Task<bool> SaveAsync(OutboxNote note, bool release, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        if (release)
        {
            note.LeaseOwner = null;
            note.LeaseUntil = 0;
        }
        db.Notes.Attach(note);
        var entry = db.Entry(note);
        entry.State = EntityState.Modified;
        // The content is fixed at signing and only the retention purge changes it: a sender's copy never writes it back.
        entry.Property(n => n.Payload).IsModified = false;
        entry.Property(n => n.Version).OriginalValue = note.Version;
        note.Version++;
        var saved = false;
        try
        {
            await db.SaveChangesAsync(ct);
            saved = true;
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            return false;
        }
        finally
        {
            // Whatever stopped the save (lost lease, cancellation, a store error), the copy keeps the version it
            // was read with; a bumped one could match the row after someone else's change and overwrite it.
            if (!saved)
                note.Version--;
        }
    }

    /// <summary>
    /// A new launch of the same surgeon for the same patient at the same EHR brings a token: notes waiting for
    /// one get it and are due now (a launch for another patient never lends its token: the EHR would rightly
    /// refuse it). Returns how many were picked up.
    /// </summary>
    public async Task<int> RebindAsync(LaunchSession session, CancellationToken ct)
    {
        if (session.NeedsRelaunch || session.FhirUser is null || session.Patient is null)
            return 0;
        var key = OwnerKey(session);
        await using var db = await factory.CreateDbContextAsync(ct);
        var waiting = await db.Notes.Where(n => n.OwnerKey == key && n.Status == NoteStatus.WaitingForLaunch).ToListAsync(ct);
        // A launch whose token this note was handed and the EHR refused (403) is not tried again: the note waits for another.
        waiting = [.. waiting.Where(n => Unprotect<TokenState>(n.Tokens) is not { Rebound: true } tried || tried.LaunchId != session.LaunchId)];
        foreach (var note in waiting)
        {
            note.Tokens = Protect(TokensOf(session) with { Rebound = true });
            note.Status = NoteStatus.Pending;
            note.NextAttemptAt = Now;
            note.LastError = null;
            note.Version++;
        }
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return 0;
        }
        return waiting.Count;
    }

    /// <summary>
    /// Notes waiting for a launch at an EHR that now has Backend Services credentials
    /// (<paramref name="hasBackend"/> of the note's issuer) become due now: the sender tries them
    /// with the backend token. <paramref name="againAfterRefusal"/> false leaves the notes whose
    /// last attempt already tried those credentials and was refused (they would be refused again
    /// every cycle); true (on start, when the configuration may have been fixed) takes them too.
    /// Returns how many were woken.
    /// </summary>
    public async Task<int> WakeForBackendAsync(Func<string, bool> hasBackend, bool againAfterRefusal, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var waiting = db.Notes.Where(n => n.Status == NoteStatus.WaitingForLaunch);
        if (!againAfterRefusal)
            waiting = waiting.Where(n => n.SentWith == null || n.SentWith != NoteSender.SentWithBackend);
        var issuers = (await waiting.Select(n => n.Issuer).Distinct().ToListAsync(ct)).Where(hasBackend).ToList();
        if (issuers.Count == 0)
            return 0;
        var now = Now;
        // One statement, conditional on the status: a note a launch rebound meanwhile is left alone.
        return await waiting.Where(n => issuers.Contains(n.Issuer)).ExecuteUpdateAsync(u => u
            .SetProperty(n => n.Status, NoteStatus.Pending)
            .SetProperty(n => n.NextAttemptAt, now)
            .SetProperty(n => n.LastError, (string?)null)
            .SetProperty(n => n.Version, n => n.Version + 1), ct);
    }

    /// <summary>
    /// Removes the content of written notes whose retention is over; the id, status and references stay for replays.
    /// The purge is a change like any other: it bumps the version, so a copy read before it (a sender's) can no
    /// longer be saved over the purged row and bring the tokens or the status of that copy back.
    /// </summary>
    public async Task<int> PurgeAsync(CancellationToken ct)
    {
        var now = Now;
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Notes
            .Where(n => n.Status == NoteStatus.Written && n.PurgeAfter != null && n.PurgeAfter <= now && n.Payload != null)
            .ExecuteUpdateAsync(u => u
                .SetProperty(n => n.Payload, (byte[]?)null)
                .SetProperty(n => n.Tokens, (byte[]?)null)
                .SetProperty(n => n.Version, n => n.Version + 1), ct);
    }

    public async Task<int> CountAsync(NoteStatus status, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Notes.CountAsync(n => n.Status == status, ct);
    }

    public static Dictionary<string, string> WrittenOf(OutboxNote note) =>
        note.Written is null ? [] : JsonSerializer.Deserialize<Dictionary<string, string>>(note.Written, Json) ?? [];

    public static string WrittenJson(IReadOnlyDictionary<string, string> written) => JsonSerializer.Serialize(written, Json);

    public static WritePlan? PlanOf(OutboxNote note) => note.Plan is null ? null : JsonSerializer.Deserialize<WritePlan>(note.Plan, Json);

    public static string PlanJson(WritePlan plan) => JsonSerializer.Serialize(plan, Json);
}
