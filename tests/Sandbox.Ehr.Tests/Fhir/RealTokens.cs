using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.Tokens;
using Sandbox.Ehr.Auth;
using Sandbox.Ehr.Tests.Auth;

namespace Sandbox.Ehr.Tests.Fhir;

/// <summary>
/// Gets real access tokens from the sandbox's own SMART authorization server for the access a FHIR
/// test asks for, and caches them per server and per request (scopes and patient) so a suite asks
/// for each token once. <c>system/</c> scopes: Backend Services (client credentials with a
/// <c>private_key_jwt</c>). A patient: an EHR launch through the launcher, then authorize and redeem
/// the code with PKCE. Neither: an authorize request without a launch (a user token, no patient).
/// </summary>
public sealed class RealTokens(Uri origin)
{
    /// <summary>The Backend Services client the FHIR tests register, with inline keys.</summary>
    public const string BackendClientId = "fhir-tests-backend";

    /// <summary>The signed-in practitioner of the tests' EHR launches (the launcher needs one in the store).</summary>
    public const string PractitionerId = "fhir-tests-surgeon";

    private const string AppRedirectUri = "http://127.0.0.1:5090/callback";

    // One key pair for every test server of the process: generating RSA keys per server costs time and proves nothing.
    private static readonly TestClientKeys Keys = new();

    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _cache = new(StringComparer.Ordinal);

    private Lazy<Task>? _practitioner;

    /// <summary>Configuration (command-line form) that registers the tests' backend client on a sandbox.</summary>
    public static IEnumerable<string> ClientSettings() =>
    [
        $"Sandbox:Clients:0:ClientId={BackendClientId}",
        "Sandbox:Clients:0:Type=asymmetric",
        "Sandbox:Clients:0:Jwks=" + Keys.PublicJwks(),
        "Sandbox:Clients:0:Scopes:0=system/*",
    ];

    /// <summary>The access token for <paramref name="access"/> (its scopes and patient; client and practitioner are the sandbox's).</summary>
    /// <param name="createPractitioner">Stores the launch practitioner over FHIR with a system token (called once, before the first launch).</param>
    public Task<string> TokenAsync(SmartAccess access, Func<Task> createPractitioner)
    {
        var key = string.Join(' ', access.Scopes) + "|" + access.PatientId;
        return _cache.GetOrAdd(key, _ => new Lazy<Task<string>>(() => FetchAsync(access, createPractitioner))).Value;
    }

    private async Task<string> FetchAsync(SmartAccess access, Func<Task> createPractitioner)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() })
        {
            BaseAddress = origin,
            Timeout = TimeSpan.FromSeconds(60),
        };
        var scope = string.Join(' ', access.Scopes);
        JsonElement token;
        string[] expected;
        if (access.Scopes.Count > 0 && access.Scopes.All(s => s.StartsWith("system/", StringComparison.Ordinal)))
        {
            if (access.PatientId is not null)
            {
                throw new InvalidOperationException("A system token has no patient context.");
            }
            token = await PostTokenAsync(http, new()
            {
                ["grant_type"] = "client_credentials",
                ["scope"] = scope,
                ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ["client_assertion"] = Keys.Assertion(BackendClientId, origin.GetLeftPart(UriPartial.Authority) + "/auth/token", SecurityAlgorithms.RsaSha384),
            });
            expected = [.. access.Scopes];
        }
        else
        {
            string? launch = null;
            if (access.PatientId is not null)
            {
                Interlocked.CompareExchange(ref _practitioner, new Lazy<Task>(createPractitioner), null);
                await _practitioner.Value;
                launch = await LaunchAsync(http, access.PatientId);
                scope = "launch " + scope;
            }
            token = await AuthorizationCodeAsync(http, scope, launch);
            expected = [.. scope.Split(' ')];
        }

        // A token narrower than asked would make a test pass or fail for the wrong reason. A response
        // without scope grants what was asked (RFC 6749 section 5.1).
        var granted = token.TryGetProperty("scope", out var grantedScope) ? grantedScope.GetString()!.Split(' ') : expected;
        if (!granted.ToHashSet(StringComparer.Ordinal).SetEquals(expected))
        {
            throw new InvalidOperationException($"The sandbox granted '{string.Join(' ', granted)}' for '{string.Join(' ', expected)}'.");
        }
        var patient = token.TryGetProperty("patient", out var value) ? value.GetString() : null;
        if (patient != access.PatientId)
        {
            throw new InvalidOperationException($"The token's patient is '{patient}', not '{access.PatientId}'.");
        }
        return token.GetProperty("access_token").GetString()!;
    }

    /// <summary>What the EHR does: the launcher creates the launch context and sends the browser to the app with a launch id.</summary>
    private static async Task<string> LaunchAsync(HttpClient http, string patientId)
    {
        var url = QueryHelpers.AddQueryString("/launcher/launch", new Dictionary<string, string?> { ["practitioner"] = PractitionerId, ["patient"] = patientId });
        using var response = await http.GetAsync(new Uri(url, UriKind.Relative));
        if (response.StatusCode != HttpStatusCode.Redirect || response.Headers.Location is null)
        {
            throw new InvalidOperationException($"The launcher answered {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        return QueryHelpers.ParseQuery(response.Headers.Location.Query)["launch"].ToString();
    }

    /// <summary>What the app does: authorize with PKCE as the public client, then redeem the code.</summary>
    private async Task<JsonElement> AuthorizationCodeAsync(HttpClient http, string scope, string? launch)
    {
        var verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var state = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        var parameters = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = SmartClientRegistration.AppClientId,
            ["redirect_uri"] = AppRedirectUri,
            ["scope"] = scope,
            ["state"] = state,
            ["aud"] = origin.GetLeftPart(UriPartial.Authority) + "/fhir",
            ["code_challenge"] = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))),
            ["code_challenge_method"] = "S256",
        };
        if (launch is not null)
        {
            parameters["launch"] = launch;
        }
        using var response = await http.GetAsync(new Uri(QueryHelpers.AddQueryString("/auth/authorize", parameters), UriKind.Relative));
        var location = response.Headers.Location;
        if (response.StatusCode != HttpStatusCode.Redirect || location is null || !location.OriginalString.StartsWith(AppRedirectUri, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Authorize answered {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        var query = QueryHelpers.ParseQuery(location.Query);
        if (query["state"] != state || !query.TryGetValue("code", out var code))
        {
            throw new InvalidOperationException($"Authorize gave no code: {query.GetValueOrDefault("error")} {query.GetValueOrDefault("error_description")}");
        }
        return await PostTokenAsync(http, new()
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code.ToString(),
            ["redirect_uri"] = AppRedirectUri,
            ["client_id"] = SmartClientRegistration.AppClientId,
            ["code_verifier"] = verifier,
        });
    }

    private static async Task<JsonElement> PostTokenAsync(HttpClient http, Dictionary<string, string> form)
    {
        using var response = await http.PostAsync(new Uri("/auth/token", UriKind.Relative), new FormUrlEncodedContent(form));
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"The token endpoint answered {response.StatusCode}: {body}");
        }
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
