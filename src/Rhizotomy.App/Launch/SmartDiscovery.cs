using System.Text.Json;
using System.Text.Json.Serialization;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Rhizotomy.App.Launch;

/// <summary>What the app needs from an EHR's SMART configuration.</summary>
public sealed record SmartConfiguration(
    [property: JsonPropertyName("issuer")] string? Issuer,
    [property: JsonPropertyName("authorization_endpoint")] string? AuthorizationEndpoint,
    [property: JsonPropertyName("token_endpoint")] string? TokenEndpoint,
    [property: JsonPropertyName("jwks_uri")] string? JwksUri,
    [property: JsonPropertyName("capabilities")] IReadOnlyList<string>? Capabilities,
    [property: JsonPropertyName("code_challenge_methods_supported")] IReadOnlyList<string>? CodeChallengeMethods,
    [property: JsonPropertyName("scopes_supported")] IReadOnlyList<string>? ScopesSupported,
    [property: JsonPropertyName("authorization_response_iss_parameter_supported")] bool? IssParameterSupported = null)
{
    /// <summary>True when the server speaks SMART v2 scopes (<c>permission-v2</c>).</summary>
    public bool PermissionV2 => Capabilities?.Contains("permission-v2") == true;

    /// <summary>
    /// Reads a SMART configuration field by field, as EHRs send it: a field of the wrong type (a string where a
    /// list belongs, a number for a URL) is skipped and named in <paramref name="skipped"/>, the rest is kept.
    /// </summary>
    public static SmartConfiguration Read(JsonElement json, out IReadOnlyList<string> skipped)
    {
        var bad = new List<string>();
        string? Text(string name)
        {
            if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
                return null;
            if (v.ValueKind == JsonValueKind.String)
                return v.GetString();
            bad.Add(name);
            return null;
        }
        IReadOnlyList<string>? List(string name)
        {
            if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
                return null;
            if (v.ValueKind != JsonValueKind.Array)
            {
                bad.Add(name);
                return null;
            }
            var items = v.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.String).Select(i => i.GetString()!).ToList();
            if (items.Count != v.GetArrayLength())
                bad.Add(name + "[]");
            return items;
        }
        var config = new SmartConfiguration(Text("issuer"), Text("authorization_endpoint"), Text("token_endpoint"), Text("jwks_uri"),
            List("capabilities"), List("code_challenge_methods_supported"), List("scopes_supported"));
        skipped = bad;
        return config;
    }
}

/// <summary>
/// Reads <c>{iss}/.well-known/smart-configuration</c> (or, for old servers, the oauth-uris
/// extension of the CapabilityStatement) and caches it per issuer for a while.
/// </summary>
public sealed class SmartDiscovery(IHttpClientFactory http, IMemoryCache cache, IOptions<AppOptions> options, ILogger<SmartDiscovery> log)
{
    public const string HttpClientName = "smart-discovery";
    private const string OAuthUris = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

    /// <summary>The configuration of a configured EHR, or null when it cannot be discovered.</summary>
    public async Task<SmartConfiguration?> DiscoverAsync(EhrRegistration ehr, CancellationToken ct)
    {
        var key = "smart-config:" + AppOptions.Normalise(ehr.Issuer);
        if (cache.TryGetValue(key, out SmartConfiguration? cached))
            return cached;

        // SMART 2.2: the well-known document is the source. /metadata is asked only when the EHR answered and has
        // no usable document there (an older server), never because it did not answer: a slow EHR is not an old one.
        var (config, answered) = await FromWellKnownAsync(ehr.Issuer, ct);
        if (config is null && answered)
            config = await FromCapabilityStatementAsync(ehr.Issuer, ct);
        if (config is not null)
            cache.Set(key, config, TimeSpan.FromMinutes(Math.Max(1, options.Value.DiscoveryCacheMinutes)));
        return config;
    }

    /// <returns>The configuration, or null; <c>Answered</c> says whether the EHR answered at all.</returns>
    private async Task<(SmartConfiguration? Config, bool Answered)> FromWellKnownAsync(string issuer, CancellationToken ct)
    {
        try
        {
            using var response = await http.CreateClient(HttpClientName).GetAsync(new Uri(issuer.TrimEnd('/') + "/.well-known/smart-configuration"), ct);
            if (!response.IsSuccessStatusCode)
                return (null, true);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            var config = SmartConfiguration.Read(json.RootElement, out var skipped);
            if (skipped.Count > 0)
                log.LogWarning("Parts of an EHR's SMART configuration could not be read and were skipped: {SkippedPaths}; EHR {Issuer}", skipped, issuer);
            return (config is { AuthorizationEndpoint: not null, TokenEndpoint: not null } ? config : null, true);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            log.LogWarning("SMART configuration of an EHR could not be read: {Error}", e.GetType().Name);
            return (null, true);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or TimeoutRejectedException or BrokenCircuitException)
        {
            log.LogWarning("SMART configuration of an EHR could not be fetched: {Error}", e.GetType().Name);
            return (null, false);
        }
    }

    private async Task<SmartConfiguration?> FromCapabilityStatementAsync(string issuer, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, issuer.TrimEnd('/') + "/metadata");
            request.Headers.Accept.ParseAdd("application/fhir+json");
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, ct);
            if (!response.IsSuccessStatusCode)
                return null;
            var json = await response.Content.ReadAsStringAsync(ct);
            if (Ehr.TolerantFhir.Parse(json, out _) is not CapabilityStatement statement)
                return null;
            var uris = statement.Rest.Select(r => r.Security?.GetExtension(OAuthUris)).FirstOrDefault(e => e is not null);
            var authorize = (uris?.GetExtension("authorize")?.Value as FhirUri)?.Value;
            var token = (uris?.GetExtension("token")?.Value as FhirUri)?.Value;
            if (authorize is null || token is null)
                return null;
            // Servers old enough to need this fallback speak SMART v1 scopes.
            return new SmartConfiguration(null, authorize, token, null, ["launch-ehr", "launch-standalone", "permission-v1"], null, null);
        }
        catch (Exception e) when (e is HttpRequestException or FormatException or DeserializationFailedException or TaskCanceledException
                                       or TimeoutRejectedException or BrokenCircuitException)
        {
            log.LogWarning("CapabilityStatement of an EHR could not be read: {Error}", e.GetType().Name);
            return null;
        }
    }
}
