using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Rhizotomy.App.Sessions;

namespace Rhizotomy.App.Ehr;

/// <summary>One launch's EHR connection: a Firely client and the handler that counts its requests.</summary>
public sealed class EhrConnection(FhirClient client, HttpClient http, SmartTokenHandler handler) : IDisposable
{
    public FhirClient Client { get; } = client;
    /// <summary>The same pipeline for requests the Firely client does not make (the write-back's own requests, whose answers it reads itself).</summary>
    public HttpClient Http { get; } = http;
    public int RoundTrips => handler.RoundTrips;

    public void Dispose()
    {
        Client.Dispose();
        Http.Dispose();
    }
}

/// <summary>
/// Firely <see cref="FhirClient"/>s for a launch-session: the factory's named client pipeline
/// (resilience, one per EHR host) behind a handler that attaches this launch's token to its EHR only.
/// Every feature that talks to the EHR (chart reads, write-back) gets its client here.
/// </summary>
public sealed class EhrClientFactory(IHttpMessageHandlerFactory handlers, TolerantReadLog readLog)
{
    public const string HttpClientName = "ehr";

    public EhrConnection Create(LaunchSession session) => Create(session.Issuer, session.AccessToken);

    /// <summary>A connection to <paramref name="issuer"/> with <paramref name="accessToken"/> (null: no token, as for <c>/metadata</c>).</summary>
    public EhrConnection Create(string issuer, string? accessToken, TimeSpan? timeout = null)
    {
        var handler = new SmartTokenHandler(issuer, accessToken) { InnerHandler = handlers.CreateHandler(HttpClientName) };
        // The factory owns the inner handler: this client must not dispose it.
        var http = new HttpClient(handler, disposeHandler: false) { Timeout = timeout ?? TimeSpan.FromSeconds(100) };
        var client = new FhirClient(issuer, http, new FhirClientSettings
        {
            PreferredFormat = ResourceFormat.Json,
            VerifyFhirVersion = false,
            ReturnPreference = ReturnPreference.Representation,
            // What the EHR sends is read as far as it can be; what cannot is skipped and logged once.
            SerializationEngine = new TolerantSerializationEngine(issuer, readLog),
        });
        return new EhrConnection(client, http, handler);
    }

    /// <summary>Reads an EHR's answer tolerantly (see <see cref="TolerantFhir"/>).</summary>
    public Resource? Parse(string issuer, string json) => readLog.Parse(issuer, json);

    /// <summary>Reads an EHR's answer tolerantly, with what was skipped.</summary>
    public Resource? Parse(string issuer, string json, out IReadOnlyList<SkippedElement> skipped) => readLog.Parse(issuer, json, out skipped);
}
