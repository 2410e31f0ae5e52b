using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Rhizotomy.App.Ehr;
using Rhizotomy.App.Launch;

namespace Rhizotomy.App.WriteBack;

/// <summary>Reads each EHR's CapabilityStatement (cached) and chooses its <see cref="WritePlan"/>.</summary>
public sealed class WritePlanner(IHttpClientFactory http, IMemoryCache cache, IOptions<AppOptions> options, ILogger<WritePlanner> log)
{
    /// <summary>The plan for an EHR; null when its CapabilityStatement cannot be read now (try again later).</summary>
    public async Task<WritePlan?> PlanAsync(string issuer, CancellationToken ct)
    {
        var ehr = options.Value.Find(issuer);
        // A configured strategy needs no statement, but the shape rules still come from it when it can be read.
        var key = "write-plan:" + (AppOptions.Normalise(issuer) ?? issuer);
        if (cache.TryGetValue(key, out WritePlan? cached) && cached is not null)
            return cached;
        CapabilityStatement? capability = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            using var request = new HttpRequestMessage(HttpMethod.Get, issuer.TrimEnd('/') + "/metadata");
            request.Headers.Accept.ParseAdd("application/fhir+json");
            // A read: the gateway's client and its resilience pipeline (the write client has none, the outbox retries writes).
            using var response = await http.CreateClient(EhrClientFactory.HttpClientName).SendAsync(request, timeout.Token);
            if (response.IsSuccessStatusCode)
                capability = new FhirJsonDeserializer(new DeserializerSettings()).DeserializeResource(await response.Content.ReadAsStringAsync(timeout.Token)) as CapabilityStatement;
            else
                log.LogWarning("CapabilityStatement read failed: HTTP {Status}", (int)response.StatusCode);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && ChartReader.IsEhrFailure(e))
        {
            log.LogWarning("CapabilityStatement read failed: {Error}", e.GetType().Name);
        }
        if (capability is null && WritePlan.Parse(ehr?.WriteStrategy) is null)
            return null;
        var plan = WritePlan.Choose(capability, ehr);
        cache.Set(key, plan, TimeSpan.FromMinutes(options.Value.DiscoveryCacheMinutes));
        log.LogInformation("Write-back plan for an EHR: {Strategy} (from {Source})", plan.StrategyName, plan.Source);
        return plan;
    }
}
