using Microsoft.Extensions.Options;

using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Drafts;

/// <summary>
/// Removes drafts nobody saved for <see cref="DraftOptions.RetentionDays"/>: a draft holds PHI at rest, like a
/// signed note's content, which the outbox purges after its own retention. Runs at start and then every
/// <see cref="DraftOptions.PurgeIntervalSeconds"/>; both the interval and "not saved for" are read on the app's clock
/// (the <see cref="TimeProvider"/> of its services).
/// </summary>
public sealed class DraftPurge(DraftStore drafts, IOptions<DraftOptions> options, TimeProvider clock, ILogger<DraftPurge> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.PurgeIntervalSeconds)), clock);
        do
        {
            try
            {
                var removed = await drafts.PurgeAsync(stoppingToken);
                if (removed > 0)
                    log.LogInformation("{Count} drafts not saved for {Days} days were removed", removed, options.Value.Retention.TotalDays);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The store may be briefly unavailable (a PostgreSQL restart): the next sweep tries again.
                log.LogError("Draft purge failed: {Error}", e.GetType().Name);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
