using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Rhizotomy.App.Form;
using Rhizotomy.App.Sessions;
using Rhizotomy.App.WriteBack;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;

using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Drafts;

/// <summary>
/// What a draft holds, encrypted at rest: the built QuestionnaireResponse (what resume, the API and signing read)
/// and the raw form fields as typed (what the page had: invalid values, answers behind closed branches).
/// </summary>
public sealed record DraftContent(string Response, Dictionary<string, string[]>? Form, string? TimeZone);

/// <summary>
/// Autosaved in-progress notes in the app's store, one per patient, surgeon and template of a launch
/// (encrypted), so a re-launch for the same patient and surgeon resumes each template's form as it was left.
/// </summary>
/// <remarks>
/// The row key is a hash of issuer, patient, practitioner and template canonical: the clear columns say
/// nothing about the patient or the procedure, and the table keeps the shape it had when drafts were one
/// per patient and surgeon. Rows of that older shape (keyed by <see cref="Outbox.OwnerKey"/>, holding the
/// response alone) are still read, for their template, until a save of that template replaces them.
/// </remarks>
public sealed class DraftStore(IDbContextFactory<WriteBackDb> factory, Outbox outbox, TemplateCatalog catalog, IOptions<DraftOptions> options)
{
    /// <summary>Drafts last saved before this (Unix ms, the app's clock) are past their retention: gone, or about to be.</summary>
    private long Cutoff => outbox.Now - (long)options.Value.Retention.TotalMilliseconds;

    /// <summary>Removes every draft not saved for the retention period (<see cref="DraftOptions.RetentionDays"/>); returns how many.</summary>
    public async Task<int> PurgeAsync(CancellationToken ct)
    {
        var cutoff = Cutoff;
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Drafts.Where(d => d.UpdatedAt < cutoff).ExecuteDeleteAsync(ct);
    }

    /// <summary>The row key of this launch's patient and surgeon's draft of <paramref name="templateUrl"/>.</summary>
    public static string DraftKey(LaunchSession session, string templateUrl) => DraftKey(session.Issuer, session.Patient, session.FhirUser, templateUrl);

    private static string DraftKey(string issuer, string? patient, string? surgeon, string templateUrl) =>
        Outbox.Key("draft", Launch.AppOptions.Normalise(issuer) ?? issuer, patient, surgeon, templateUrl);

    /// <summary>
    /// A signed note the EHR refused for good: its draft (discarded at signing) comes back from the note as
    /// signed, under a new note id (so signing it again is a new note, not a replay of the failed one), unless
    /// the surgeon has already started another draft of that template (which is never overwritten).
    /// </summary>
    public async Task RestoreFailedAsync(string issuer, NotePayload payload, Bundle bundle, string noteId, CancellationToken ct)
    {
        if (bundle.Entry.Select(e => e.Resource).OfType<QuestionnaireResponse>().FirstOrDefault() is not { } filed || TemplateOf(filed) is not { } template)
            return;
        var response = (QuestionnaireResponse)filed.DeepCopy();
        response.Status = QuestionnaireResponse.QuestionnaireResponseStatus.InProgress;
        response.Identifier = new Identifier(Known.NoteIdentifierSystem,
            noteId[..Math.Min(noteId.Length, 54)] + "-r" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3)).ToLowerInvariant());
        var key = DraftKey(issuer, payload.PatientId, payload.Surgeon, template);
        await using var db = await factory.CreateDbContextAsync(ct);
        if (await db.Drafts.AnyAsync(d => d.OwnerKey == key, ct))
            return;
        db.Drafts.Add(new DraftRecord { OwnerKey = key, Payload = outbox.Protect(new DraftContent(new FhirJsonSerializer().SerializeToString(response), null, null)), UpdatedAt = outbox.Now });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // An autosave of the surgeon's came first: theirs stays.
        }
    }

    /// <summary>The template canonical (without version) a response answers, or null.</summary>
    public static string? TemplateOf(QuestionnaireResponse response) =>
        response.Questionnaire is { Length: > 0 } canonical ? canonical.Split('|')[0] : null;

    /// <summary>Saves the draft of the response's template; <paramref name="form"/> is the page's raw fields when the page saved it.</summary>
    public async Task SaveAsync(LaunchSession session, QuestionnaireResponse response, FormState? form, CancellationToken ct)
    {
        var template = TemplateOf(response) ?? throw new ArgumentException("A draft names its template.", nameof(response));
        var key = DraftKey(session, template);
        var payload = outbox.Protect(new DraftContent(new FhirJsonSerializer().SerializeToString(response), form?.ToRaw(), form?.TimeZone));
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
                break;
            }
            catch (DbUpdateException)
            {
                // Two autosaves raced: the later one wins on the next pass.
            }
        }
        // A draft of the older shape for this template is now replaced.
        if (await LegacyAsync(session, ct) is { } legacy && TemplateOf(legacy.Response) == template)
            await DeleteKeysAsync([Outbox.OwnerKey(session)], ct);
    }

    /// <summary>The draft of one template (canonical url, id or <c>url|version</c>) with when it was last saved.</summary>
    public async Task<SavedDraft?> FindSavedAsync(LaunchSession session, string template, CancellationToken ct)
    {
        var url = catalog.Find(template)?.Url ?? template.Split('|')[0];
        await using var db = await factory.CreateDbContextAsync(ct);
        var key = DraftKey(session, url);
        var row = await db.Drafts.AsNoTracking().FirstOrDefaultAsync(d => d.OwnerKey == key, ct);
        if (Read(row) is { } draft)
            return draft;
        return await LegacyAsync(session, ct) is { } legacy && TemplateOf(legacy.Response) == url ? legacy : null;
    }

    /// <summary>Every draft of this launch's patient and surgeon (one per template), the latest first.</summary>
    public async Task<IReadOnlyList<SavedDraft>> ListAsync(LaunchSession session, CancellationToken ct)
    {
        var keys = TemplateKeys(session);
        await using var db = await factory.CreateDbContextAsync(ct);
        var rows = await db.Drafts.AsNoTracking().Where(d => keys.Contains(d.OwnerKey)).ToListAsync(ct);
        var drafts = rows.Select(Read).OfType<SavedDraft>().ToList();
        if (await LegacyAsync(session, ct) is { } legacy && !drafts.Any(d => TemplateOf(d.Response) == TemplateOf(legacy.Response)))
            drafts.Add(legacy);
        return [.. drafts.OrderByDescending(d => d.SavedAt)];
    }

    /// <summary>Discards one template's draft, or all of this patient and surgeon's drafts when <paramref name="template"/> is null.</summary>
    public async Task DeleteAsync(LaunchSession session, string? template, CancellationToken ct)
    {
        if (template is null)
        {
            await DeleteKeysAsync([.. TemplateKeys(session), Outbox.OwnerKey(session)], ct);
            return;
        }
        var url = catalog.Find(template)?.Url ?? template.Split('|')[0];
        await DeleteKeysAsync([DraftKey(session, url)], ct);
        if (await LegacyAsync(session, ct) is { } legacy && TemplateOf(legacy.Response) == url)
            await DeleteKeysAsync([Outbox.OwnerKey(session)], ct);
    }

    /// <summary>Discards the draft (of whichever template) that has become the signed note <paramref name="noteId"/>; other drafts stay.</summary>
    public async Task DiscardSignedAsync(LaunchSession session, string noteId, CancellationToken ct)
    {
        foreach (var draft in await ListAsync(session, ct))
        {
            if (draft.Response.Identifier?.Value == noteId && TemplateOf(draft.Response) is { } template)
                await DeleteAsync(session, template, ct);
        }
    }

    private string[] TemplateKeys(LaunchSession session) =>
        [.. catalog.List().Select(t => t.Url).Where(u => u.Length > 0).Distinct(StringComparer.Ordinal).Select(u => DraftKey(session, u))];

    private async Task DeleteKeysAsync(string[] keys, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        await db.Drafts.Where(d => keys.Contains(d.OwnerKey)).ExecuteDeleteAsync(ct);
    }

    private SavedDraft? Read(DraftRecord? row)
    {
        // Past its retention the draft is not offered, whether or not the purge has removed it yet.
        if (row is null || row.UpdatedAt < Cutoff)
            return null;
        DraftContent? content;
        try
        {
            content = outbox.Unprotect<DraftContent>(row.Payload);
        }
        catch (JsonException)
        {
            return null;
        }
        return content is null || Parse(content.Response) is not { } response
            ? null
            : new SavedDraft(response, content.Form, content.TimeZone, DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAt));
    }

    /// <summary>A draft saved before drafts were per template: keyed by patient and surgeon, the response alone.</summary>
    private async Task<SavedDraft?> LegacyAsync(LaunchSession session, CancellationToken ct)
    {
        var key = Outbox.OwnerKey(session);
        await using var db = await factory.CreateDbContextAsync(ct);
        var row = await db.Drafts.AsNoTracking().FirstOrDefaultAsync(d => d.OwnerKey == key, ct);
        if (row is null || row.UpdatedAt < Cutoff)
            return null;
        string? json;
        try
        {
            json = outbox.Unprotect<string>(row?.Payload);
        }
        catch (JsonException)
        {
            return null;
        }
        return row is null || json is null || Parse(json) is not { } response
            ? null
            : new SavedDraft(response, null, null, DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAt));
    }

    private static QuestionnaireResponse? Parse(string json)
    {
        try
        {
            return new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<QuestionnaireResponse>(json);
        }
        catch (DeserializationFailedException)
        {
            return null;
        }
    }
}

/// <summary>A stored draft: the built response, the raw form fields when the page saved it, and when it was last saved.</summary>
public sealed record SavedDraft(QuestionnaireResponse Response, IReadOnlyDictionary<string, string[]>? Form, string? TimeZone, DateTimeOffset SavedAt);
