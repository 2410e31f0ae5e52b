using Hl7.Fhir.Rest;
using Rhizotomy.App.Sessions;

namespace Rhizotomy.App.Ehr;

/// <summary>One launch's EHR connection: a Firely client and the handler that counts its requests.</summary>
public sealed class EhrConnection(FhirClient client, HttpClient http, SmartTokenHandler handler) : IDisposable
{
    public FhirClient Client { get; } = client;
    public int RoundTrips => handler.RoundTrips;

    public void Dispose()
    {
        Client.Dispose();
        http.Dispose();
    }
}

/// <summary>
/// Firely <see cref="FhirClient"/>s for a launch-session: the factory's named client pipeline
/// (resilience, one per EHR host) behind a handler that attaches this launch's token to its EHR only.
/// Every feature that talks to the EHR (chart reads, write-back) gets its client here.
/// </summary>
public sealed class EhrClientFactory(IHttpMessageHandlerFactory handlers)
{
    public const string HttpClientName = "ehr";

    public EhrConnection Create(LaunchSession session)
    {
        var handler = new SmartTokenHandler(session.Issuer, session.AccessToken) { InnerHandler = handlers.CreateHandler(HttpClientName) };
        // The factory owns the inner handler: this client must not dispose it.
        var http = new HttpClient(handler, disposeHandler: false);
        var client = new FhirClient(session.Issuer, http, new FhirClientSettings
        {
            PreferredFormat = ResourceFormat.Json,
            VerifyFhirVersion = false,
            ReturnPreference = ReturnPreference.Representation,
        });
        return new EhrConnection(client, http, handler);
    }
}
