using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.EntityFrameworkCore;
using Rhizotomy.App.Sessions;
using Rhizotomy.App.WriteBack;

using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Drafts;

/// <summary>
/// Autosaved in-progress QuestionnaireResponses in the app's store, one per patient and surgeon
/// of a launch (encrypted), so a re-launch for the same patient and surgeon resumes the form.
/// </summary>
public sealed class DraftStore(IDbContextFactory<WriteBackDb> factory, Outbox outbox)
{
    public async Task SaveAsync(LaunchSession session, QuestionnaireResponse response, CancellationToken ct)
    {
        var key = Outbox.OwnerKey(session);
        var payload = outbox.Protect(new FhirJsonSerializer().SerializeToString(response));
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await using var db = await factory.CreateDbContextAsync(ct);
            var draft = await db.Drafts.FirstOrDefaultAsync(d => d.OwnerKey == key, ct);
            if (draft is null)
                db.Drafts.Add(new DraftRecord { OwnerKey = key, Payload = payload, UpdatedAt = outbox.Now });
            else
            {
                draft.Payload = payload;
                draft.UpdatedAt = outbox.Now;
                draft.Version++;
            }
            try
            {
                await db.SaveChangesAsync(ct);
                return;
            }
            catch (DbUpdateException)
            {
                // Two autosaves raced: the later one wins on the next pass.
            }
        }
    }

    public async Task<QuestionnaireResponse?> FindAsync(LaunchSession session, CancellationToken ct) =>
        (await FindSavedAsync(session, ct))?.Response;

    /// <summary>The draft with when it was last saved (the note page says "Resumed your draft from …").</summary>
    public async Task<SavedDraft?> FindSavedAsync(LaunchSession session, CancellationToken ct)
    {
        var key = Outbox.OwnerKey(session);
        await using var db = await factory.CreateDbContextAsync(ct);
        var draft = await db.Drafts.AsNoTracking().FirstOrDefaultAsync(d => d.OwnerKey == key, ct);
        var json = outbox.Unprotect<string>(draft?.Payload);
        return json is null || draft is null
            ? null
            : new SavedDraft(new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<QuestionnaireResponse>(json), DateTimeOffset.FromUnixTimeMilliseconds(draft.UpdatedAt));
    }

    public async Task DeleteAsync(LaunchSession session, CancellationToken ct)
    {
        var key = Outbox.OwnerKey(session);
        await using var db = await factory.CreateDbContextAsync(ct);
        await db.Drafts.Where(d => d.OwnerKey == key).ExecuteDeleteAsync(ct);
    }
}

/// <summary>A stored draft and the time it was last saved.</summary>
public sealed record SavedDraft(QuestionnaireResponse Response, DateTimeOffset SavedAt);
