using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Rhizotomy.App.Launch;

namespace Rhizotomy.App.WriteBack;

/// <summary>
/// The write strategy ladder's memory: transaction → individual conditional creates → document only. When an
/// EHR refuses the shape or size of a strategy's request (<see cref="EhrWriter.IsShapeRefusal"/>), the note goes
/// one step down at once and the EHR's issuer is remembered at that step in the app's store, so every later
/// note (on every instance, after a restart) starts there. Content refusals are not the ladder's business.
/// </summary>
public sealed class WriteLadder(IDbContextFactory<WriteBackDb> factory, IMemoryCache cache, TimeProvider clock, ILogger<WriteLadder> log)
{
    private static string Key(string issuer) => AppOptions.Normalise(issuer) ?? issuer;

    /// <summary>The step this EHR is remembered at, or null when it has refused nothing.</summary>
    public async Task<LadderMemory?> RecallAsync(string issuer, CancellationToken ct)
    {
        var key = Key(issuer);
        if (cache.TryGetValue("ladder:" + key, out LadderMemory? cached))
            return cached;
        await using var db = await factory.CreateDbContextAsync(ct);
        var row = await db.Ladder.AsNoTracking().FirstOrDefaultAsync(l => l.Issuer == key, ct);
        var memory = row is not null && WritePlan.Parse(row.Strategy) is { } s ? new LadderMemory(s, row.Reason ?? "refused before") : null;
        cache.Set("ladder:" + key, memory, TimeSpan.FromMinutes(1));
        return memory;
    }

    /// <summary>Remembers that <paramref name="issuer"/> needs <paramref name="strategy"/> or lower (never moves back up).</summary>
    public async Task RememberAsync(string issuer, WriteStrategy strategy, string why, CancellationToken ct)
    {
        var key = Key(issuer);
        await using var db = await factory.CreateDbContextAsync(ct);
        var row = await db.Ladder.FirstOrDefaultAsync(l => l.Issuer == key, ct);
        if (row is not null && WritePlan.Parse(row.Strategy) is { } known && known >= strategy)
            return;
        if (row is null)
            db.Ladder.Add(row = new EhrWriteMemory { Issuer = key, Strategy = WritePlan.Name(strategy) });
        row.Strategy = WritePlan.Name(strategy);
        row.Reason = why.Length > 300 ? why[..300] : why;
        row.UpdatedAt = clock.GetUtcNow().ToUnixTimeMilliseconds();
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another instance remembered it first: its row stands.
        }
        cache.Remove("ladder:" + key);
        log.LogWarning("The write ladder moves an EHR down to {Strategy}: {Why}; EHR {Issuer}", WritePlan.Name(strategy), why, key);
    }
}
