using Hl7.Fhir.Model;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Rhizotomy.App.Ehr;
using Rhizotomy.App.Launch;

namespace Rhizotomy.App.WriteBack;

/// <summary>
/// Reads each EHR's CapabilityStatement (through the gateway, tolerantly, cached) and chooses its
/// <see cref="WritePlan"/>: what could be read of the statement, then the EHR's configuration, then the
/// write ladder's memory of what the EHR refused. A statement that is not FHIR at all gives the default plan.
/// </summary>
public sealed class WritePlanner(EhrClientFactory clients, WriteLadder ladder, IMemoryCache cache, IOptions<AppOptions> options, ILogger<WritePlanner> log)
{
    /// <summary>What reading an EHR's <c>/metadata</c> came to.</summary>
    /// <param name="Reachable">False when the EHR did not answer (or answered with an error): worth trying again later.</param>
    /// <param name="Skipped">The parts of the statement that could not be read (see <see cref="TolerantFhir"/>).</param>
    public sealed record CapabilityRead(CapabilityStatement? Statement, bool Reachable, string? Problem, IReadOnlyList<SkippedElement>? Skipped = null);

    /// <summary>The plan for an EHR; null when its CapabilityStatement cannot be had now and nothing else says how to write (try again later).</summary>
    public async Task<WritePlan?> PlanAsync(string issuer, CancellationToken ct)
    {
        var ehr = options.Value.Find(issuer);
        var key = "capability:" + (AppOptions.Normalise(issuer) ?? issuer);
        if (!cache.TryGetValue(key, out CapabilityRead? read) || read is null)
        {
            read = await ReadCapabilityAsync(clients, issuer, ct);
            if (read.Reachable)
                cache.Set(key, read, TimeSpan.FromMinutes(options.Value.DiscoveryCacheMinutes));
            else
                log.LogWarning("CapabilityStatement read failed: {Problem}", read.Problem);
        }
        var remembered = await ladder.RecallAsync(issuer, ct);
        // Unreachable and nothing configured or learnt: wait (the outbox bounds how long).
        if (!read.Reachable && WritePlan.Parse(ehr?.WriteStrategy) is null && remembered is null)
            return null;
        var plan = WritePlan.Choose(read.Statement, ehr, remembered);
        log.LogInformation("Write-back plan for an EHR: {Strategy} (from {Source}: {Why})", plan.StrategyName, plan.Source, plan.Why);
        return plan;
    }

    /// <summary>GET <c>{issuer}/metadata</c> through the gateway (no token), read tolerantly.</summary>
    public static async Task<CapabilityRead> ReadCapabilityAsync(EhrClientFactory clients, string issuer, CancellationToken ct)
    {
        try
        {
            using var connection = clients.Create(issuer, null);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            using var request = new HttpRequestMessage(HttpMethod.Get, issuer.TrimEnd('/') + "/metadata");
            request.Headers.Accept.ParseAdd("application/fhir+json");
            using var response = await connection.Http.SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
                return new CapabilityRead(null, false, $"HTTP {(int)response.StatusCode}");
            var statement = clients.Parse(issuer, await response.Content.ReadAsStringAsync(timeout.Token), out var skipped) as CapabilityStatement;
            // An answer that is not a CapabilityStatement at all is read as none: the default plan, never a block.
            return new CapabilityRead(statement, true, statement is null ? "not a CapabilityStatement" : null, skipped);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && ChartReader.IsEhrFailure(e))
        {
            return new CapabilityRead(null, false, e.GetType().Name);
        }
    }
}
