using System.Net.Http.Headers;

namespace Rhizotomy.App.Ehr;

/// <summary>
/// Attaches one launch's access token to requests for that EHR's FHIR base, and to nothing else:
/// a reference or a <c>next</c> link to another server never gets the token. Counts round trips.
/// </summary>
public sealed class SmartTokenHandler(string fhirBase, string? accessToken) : DelegatingHandler
{
    private readonly string _base = fhirBase.TrimEnd('/') + "/";
    private int _roundTrips;

    public int RoundTrips => _roundTrips;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _roundTrips);
        var uri = request.RequestUri?.AbsoluteUri ?? "";
        if (accessToken is not null && (uri.StartsWith(_base, StringComparison.OrdinalIgnoreCase) || uri.Equals(_base.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)))
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        else
            request.Headers.Authorization = null;
        return base.SendAsync(request, cancellationToken);
    }
}
