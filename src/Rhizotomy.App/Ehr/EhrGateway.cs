using Microsoft.Extensions.Http.Resilience;

namespace Rhizotomy.App.Ehr;

/// <summary>Registration of the EHR gateway: one named client, one resilience pipeline per EHR host.</summary>
public static class EhrGateway
{
    public static WebApplicationBuilder AddEhrGateway(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TolerantReadLog>();
        builder.Services.AddSingleton<EhrClientFactory>();
        builder.Services.AddSingleton(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Launch.AppOptions>>().Value.Evidence.Load());
        builder.Services.AddSingleton<ChartReader>();
        AddResilience(builder.Services.AddHttpClient(EhrClientFactory.HttpClientName));
        return builder;
    }

    /// <summary>The gateway's resilience pipeline (also the start-up warm-up's, so it warms this very code).</summary>
    public static IHttpClientBuilder AddResilience(IHttpClientBuilder client)
    {
        client.AddStandardResilienceHandler(o =>
            {
                // Reads only: retries (with jitter, honouring Retry-After) never repeat a write.
                o.Retry.DisableForUnsafeHttpMethods();
                o.Retry.MaxRetryAttempts = 3;
                o.Retry.UseJitter = true;
                // A surgeon is waiting on the page: short backoff (a Retry-After from the EHR still wins).
                o.Retry.Delay = TimeSpan.FromMilliseconds(300);
                o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(10);
                o.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(40);
                o.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(30);
            })
            // One circuit breaker per EHR: a failing EHR does not trip the others.
            .SelectPipelineByAuthority();
        return client;
    }
}
