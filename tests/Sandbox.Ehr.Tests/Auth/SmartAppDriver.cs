using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace Sandbox.Ehr.Tests.Auth;

/// <summary>Plays a SMART app against the sandbox: builds authorize requests with PKCE and redeems codes.</summary>
public sealed class SmartAppDriver(SandboxServer server, HttpClient browser)
{
    public const string AppClientId = "rhizotomy-app";
    public const string AppRedirectUri = "http://127.0.0.1:5090/callback";

    public string Verifier { get; } = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public string State { get; } = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    public string Challenge => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier)));

    public Dictionary<string, string?> AuthorizeParameters(string scope, string? launch = null) => new()
    {
        ["response_type"] = "code",
        ["client_id"] = AppClientId,
        ["redirect_uri"] = AppRedirectUri,
        ["scope"] = scope,
        ["state"] = State,
        ["aud"] = server.FhirBase,
        ["code_challenge"] = Challenge,
        ["code_challenge_method"] = "S256",
        ["launch"] = launch,
    };

    public async Task<HttpResponseMessage> AuthorizeAsync(Dictionary<string, string?> parameters)
    {
        var present = parameters.Where(pair => pair.Value is not null).ToDictionary(pair => pair.Key, pair => pair.Value);
        return await browser.GetAsync(new Uri(QueryHelpers.AddQueryString("/auth/authorize", present), UriKind.Relative));
    }

    /// <summary>The query of a redirect to the app's callback.</summary>
    public static Dictionary<string, string> CallbackQuery(HttpResponseMessage response)
    {
        Assert.Equal(System.Net.HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.StartsWith(AppRedirectUri, location.OriginalString, StringComparison.Ordinal);
        return QueryHelpers.ParseQuery(location.Query).ToDictionary(pair => pair.Key, pair => pair.Value.ToString());
    }

    public async Task<string> AuthorizeForCodeAsync(Dictionary<string, string?> parameters)
    {
        var query = CallbackQuery(await AuthorizeAsync(parameters));
        Assert.Equal(State, query["state"]);
        Assert.False(query.ContainsKey("error"), query.GetValueOrDefault("error_description"));
        return query["code"];
    }

    public Task<HttpResponseMessage> RedeemAsync(string code, string? verifier = null, string redirectUri = AppRedirectUri) =>
        PostTokenAsync(new()
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["client_id"] = AppClientId,
            ["code_verifier"] = verifier ?? Verifier,
        });

    public async Task<HttpResponseMessage> PostTokenAsync(Dictionary<string, string> form, AuthenticationHeaderValue? authorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/auth/token", UriKind.Relative)) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = authorization;
        return await browser.SendAsync(request);
    }

    /// <summary>Asserts the status (showing the body when it differs) and returns the JSON body.</summary>
    public static async Task<JsonElement> ExpectAsync(HttpResponseMessage response, System.Net.HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {status}, got {response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>An OAuth error response: 400, or 401 for <c>invalid_client</c> (RFC 6749 section 5.2).</summary>
    /// <summary>Where the client or redirect URI cannot be trusted, the error is a page of the server's own, never a redirect.</summary>
    public static void ExpectErrorPageWithoutRedirect(HttpResponseMessage response)
    {
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    public static async Task ExpectErrorAsync(HttpResponseMessage response, string error)
    {
        var body = await response.Content.ReadAsStringAsync();
        var allowed = error == "invalid_client"
            ? new[] { System.Net.HttpStatusCode.BadRequest, System.Net.HttpStatusCode.Unauthorized }
            : [System.Net.HttpStatusCode.BadRequest];
        Assert.True(allowed.Contains(response.StatusCode), $"expected an {error} error, got {response.StatusCode}: {body}");
        Assert.Equal(error, JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}
