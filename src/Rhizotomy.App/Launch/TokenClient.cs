using System.Text.Json;
using Duende.IdentityModel.Client;
using Microsoft.Extensions.Options;

namespace Rhizotomy.App.Launch;

/// <summary>A token response as SMART defines it: the OAuth fields plus the launch context.</summary>
public sealed record SmartTokenResponse(
    string AccessToken,
    string? RefreshToken,
    int ExpiresIn,
    string? Scope,
    string? IdToken,
    string? Patient,
    string? Encounter,
    IReadOnlyList<string> FhirContext,
    bool? NeedPatientBanner,
    string? SmartStyleUrl);

/// <summary>Why a token request failed, without anything secret in it.</summary>
/// <remarks>
/// <see cref="Error"/> is the EHR's <c>error</c> code when it is one (RFC 6749 codes are
/// <c>[a-z_]</c>), else <c>error</c>: an EHR that echoes a code, a token or a name in that field
/// must not carry it into the app's logs and messages.
/// </remarks>
public sealed partial class TokenRequestException(string error, System.Net.HttpStatusCode status = 0) : Exception($"The EHR refused the token request ({Clean(error)}).")
{
    public string Error { get; } = Clean(error);

    /// <summary>The token endpoint's HTTP status; 0 when no answer came.</summary>
    public System.Net.HttpStatusCode Status { get; } = status;

    /// <summary>True when asking again later can succeed: no answer, 408, 429 or a server error (not a refusal).</summary>
    public bool Transient => Error == "Exception" || (int)Status is 0 or 408 or 429 or >= 500;

    private static string Clean(string error) => ErrorCode().IsMatch(error) ? error : "error";

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z_]{1,40}$")]
    private static partial System.Text.RegularExpressions.Regex ErrorCode();
}

/// <summary>
/// Token endpoint calls (authorization code, refresh) with the client authentication each EHR
/// registration asks for.
/// </summary>
public sealed class TokenClient(IHttpClientFactory http, ClientKeys keys, IOptions<AppOptions> options)
{
    public const string HttpClientName = "smart-token";

    public async Task<SmartTokenResponse> ExchangeCodeAsync(EhrRegistration ehr, string tokenEndpoint, string code, string codeVerifier, CancellationToken ct)
    {
        var request = new AuthorizationCodeTokenRequest
        {
            Address = tokenEndpoint,
            Code = code,
            CodeVerifier = codeVerifier,
            RedirectUri = options.Value.RedirectUri.ToString(),
        };
        Authenticate(request, ehr, tokenEndpoint);
        var response = await http.CreateClient(HttpClientName).RequestAuthorizationCodeTokenAsync(request, ct);
        return Read(response);
    }

    public async Task<SmartTokenResponse> RefreshAsync(EhrRegistration ehr, string tokenEndpoint, string refreshToken, CancellationToken ct)
    {
        var request = new RefreshTokenRequest { Address = tokenEndpoint, RefreshToken = refreshToken };
        Authenticate(request, ehr, tokenEndpoint);
        var response = await http.CreateClient(HttpClientName).RequestRefreshTokenAsync(request, ct);
        return Read(response);
    }

    /// <summary>
    /// A SMART Backend Services token: <c>client_credentials</c> with a one-time
    /// <c>private_key_jwt</c> assertion (unique <c>jti</c>, <c>aud</c> the token endpoint, <c>exp</c> within 5 minutes).
    /// </summary>
    public async Task<SmartTokenResponse> ClientCredentialsAsync(EhrRegistration ehr, string tokenEndpoint, CancellationToken ct)
    {
        var backend = ehr.Backend ?? throw new InvalidOperationException("The EHR has no Backend Services registration.");
        var request = new ClientCredentialsTokenRequest
        {
            Address = tokenEndpoint,
            ClientId = backend.ClientId,
            ClientCredentialStyle = ClientCredentialStyle.PostBody,
            Scope = string.IsNullOrWhiteSpace(backend.Scopes) ? BackendRegistration.DefaultScopes : backend.Scopes,
            ClientAssertion = new ClientAssertion
            {
                Type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                Value = keys.BackendAssertion(ehr, tokenEndpoint),
            },
        };
        var response = await http.CreateClient(HttpClientName).RequestClientCredentialsTokenAsync(request, ct);
        return Read(response);
    }

    private void Authenticate(ProtocolRequest request, EhrRegistration ehr, string tokenEndpoint)
    {
        request.ClientId = ehr.ClientId;
        switch (ehr.AuthMethod)
        {
            case ClientAuthMethod.Public:
                request.ClientCredentialStyle = ClientCredentialStyle.PostBody;
                break;
            case ClientAuthMethod.ClientSecretBasic:
                request.ClientSecret = ehr.ClientSecret;
                request.ClientCredentialStyle = ClientCredentialStyle.AuthorizationHeader;
                break;
            case ClientAuthMethod.PrivateKeyJwt:
                request.ClientCredentialStyle = ClientCredentialStyle.PostBody;
                request.ClientAssertion = new ClientAssertion
                {
                    Type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    Value = keys.Assertion(ehr, tokenEndpoint),
                };
                break;
        }
    }

    private static SmartTokenResponse Read(TokenResponse response)
    {
        if (response.IsError || string.IsNullOrEmpty(response.AccessToken))
            throw new TokenRequestException(response.ErrorType == ResponseErrorType.Protocol ? response.Error ?? "error" : response.ErrorType.ToString(), response.HttpStatusCode);

        var json = response.Json;
        string? Text(string name) =>
            json is { ValueKind: JsonValueKind.Object } j && j.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        bool? banner = null;
        var context = new List<string>();
        if (json is { ValueKind: JsonValueKind.Object } obj)
        {
            if (obj.TryGetProperty("need_patient_banner", out var b) && b.ValueKind is JsonValueKind.True or JsonValueKind.False)
                banner = b.GetBoolean();
            if (obj.TryGetProperty("fhirContext", out var fc) && fc.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in fc.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String)
                        context.Add(item.GetString()!);
                    else if (item.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var name in new[] { "reference", "canonical" })
                            if (item.TryGetProperty(name, out var r) && r.ValueKind == JsonValueKind.String)
                                context.Add(r.GetString()!);
                    }
                }
            }
        }

        return new SmartTokenResponse(
            response.AccessToken,
            response.RefreshToken,
            response.ExpiresIn,
            response.Scope,
            response.IdentityToken,
            Text("patient"),
            Text("encounter"),
            context,
            banner,
            Text("smart_style_url"));
    }
}
