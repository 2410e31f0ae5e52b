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

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _roundTrips);
        var uri = request.RequestUri?.AbsoluteUri ?? "";
        if (accessToken is not null && (uri.StartsWith(_base, StringComparison.OrdinalIgnoreCase) || uri.Equals(_base.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)))
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        else
            request.Headers.Authorization = null;
        // One span and one latency reading per EHR request: the EHR's host, the resource type and the status, never the URL.
        var resourceType = Hosting.AppTelemetry.ResourceType(request.RequestUri, _base);
        var activity = Hosting.AppTelemetry.StartEhrRequest(_base, request.Method, resourceType);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            Hosting.AppTelemetry.EhrRequestDone(activity, _base, request.Method, resourceType, started, (int)response.StatusCode, null);
            return response;
        }
        catch (Exception e)
        {
            Hosting.AppTelemetry.EhrRequestDone(activity, _base, request.Method, resourceType, started, null, e);
            throw;
        }
    }
}
