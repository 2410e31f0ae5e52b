using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Tokens;

namespace Sandbox.Ehr.Tests.Auth;

/// <summary>A sandbox with extra test clients: inline-JWKS and jwks_uri Backend Services, and a narrow one.</summary>
public sealed class ClientsFixture : IAsyncLifetime
{
    public const string InlineBackend = "test-backend-inline";
    public const string UriBackend = "test-backend-jwks-uri";

    public TestClientKeys Keys { get; } = new();

    public SandboxServer Server { get; private set; } = null!;

    // The client's own web server publishing its keys, for the jwks_uri registration.
    private RecordingServer _jwksHost = null!;

    public async Task InitializeAsync()
    {
        var jwks = Keys.PublicJwks();
        _jwksHost = await RecordingServer.StartAsync(app => app.MapGet("/jwks.json", () => Results.Text(jwks, "application/json")));
        Server = await SandboxServer.StartAsync(new Dictionary<string, string?>
        {
            ["Sandbox:Clients:0:ClientId"] = InlineBackend,
            ["Sandbox:Clients:0:Type"] = "asymmetric",
            ["Sandbox:Clients:0:Jwks"] = Keys.PublicJwks(),
            ["Sandbox:Clients:0:Scopes:0"] = "system/Patient.rs",
            ["Sandbox:Clients:0:Scopes:1"] = "system/Condition.rs",
            ["Sandbox:Clients:1:ClientId"] = UriBackend,
            ["Sandbox:Clients:1:Type"] = "asymmetric",
            ["Sandbox:Clients:1:JwksUri"] = _jwksHost.Origin + "/jwks.json",
            ["Sandbox:Clients:1:Scopes:0"] = "system/*",
        });
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await _jwksHost.DisposeAsync();
        Keys.Dispose();
    }
}

[Collection(ClientsCollection.Name)]
public class ClientAuthenticationTests(ClientsFixture fixture)
{
    private const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    private SandboxServer Server => fixture.Server;

    private string TokenEndpoint => Server.OriginText + "/auth/token";

    [Theory]
    [InlineData(SecurityAlgorithms.RsaSha384)]
    [InlineData(SecurityAlgorithms.EcdsaSha384)]
    public async Task A_backend_client_gets_a_system_token_with_a_private_key_jwt(string algorithm)
    {
        using var http = Server.CreateClient();
        var response = await PostAsync(http, ClientsFixture.InlineBackend, fixture.Keys.Assertion(ClientsFixture.InlineBackend, TokenEndpoint, algorithm),
            "system/Patient.rs system/Observation.rs");

        var token = await SmartAppDriver.ExpectAsync(response, HttpStatusCode.OK);
        Assert.Equal("system/Patient.rs", token.GetProperty("scope").GetString());
        Assert.False(token.TryGetProperty("refresh_token", out _));
        Assert.False(token.TryGetProperty("patient", out _));
    }

    [Fact]
    public async Task A_backend_client_registered_by_jwks_uri_is_verified_against_its_published_keys()
    {
        using var http = Server.CreateClient();
        var response = await PostAsync(http, ClientsFixture.UriBackend,
            fixture.Keys.Assertion(ClientsFixture.UriBackend, TokenEndpoint, SecurityAlgorithms.EcdsaSha384), "system/Condition.rs");
        await SmartAppDriver.ExpectAsync(response, HttpStatusCode.OK);

        using var stranger = new TestClientKeys();
        var forged = await PostAsync(http, ClientsFixture.UriBackend,
            stranger.Assertion(ClientsFixture.UriBackend, TokenEndpoint, SecurityAlgorithms.RsaSha384), "system/Condition.rs");
        await SmartAppDriver.ExpectErrorAsync(forged, "invalid_client");
    }

    [Fact]
    public async Task A_replayed_client_assertion_jti_is_refused()
    {
        using var http = Server.CreateClient();
        var jti = Guid.NewGuid().ToString("N");
        var first = await PostAsync(http, ClientsFixture.InlineBackend,
            fixture.Keys.Assertion(ClientsFixture.InlineBackend, TokenEndpoint, SecurityAlgorithms.RsaSha384, jti), "system/Patient.rs");
        await SmartAppDriver.ExpectAsync(first, HttpStatusCode.OK);

        // A new signature over the same jti is still a replay.
        var replay = await PostAsync(http, ClientsFixture.InlineBackend,
            fixture.Keys.Assertion(ClientsFixture.InlineBackend, TokenEndpoint, SecurityAlgorithms.RsaSha384, jti), "system/Patient.rs");
        await SmartAppDriver.ExpectErrorAsync(replay, "invalid_client");
    }

    [Fact]
    public async Task A_client_assertion_living_longer_than_five_minutes_is_refused()
    {
        using var http = Server.CreateClient();
        var response = await PostAsync(http, ClientsFixture.InlineBackend,
            fixture.Keys.Assertion(ClientsFixture.InlineBackend, TokenEndpoint, SecurityAlgorithms.RsaSha384, lifetime: TimeSpan.FromMinutes(30)),
            "system/Patient.rs");
        await SmartAppDriver.ExpectErrorAsync(response, "invalid_client");
    }

    [Fact]
    public async Task A_client_assertion_for_another_audience_is_refused()
    {
        using var http = Server.CreateClient();
        var response = await PostAsync(http, ClientsFixture.InlineBackend,
            fixture.Keys.Assertion(ClientsFixture.InlineBackend, "http://127.0.0.1:1/elsewhere/token", SecurityAlgorithms.RsaSha384), "system/Patient.rs");
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.BadRequest, HttpStatusCode.Unauthorized });
        Assert.False((await SmartAppDriver.JsonAsync(response)).TryGetProperty("access_token", out _));
    }

    [Fact]
    public async Task A_confidential_symmetric_client_authenticates_with_client_secret_basic_only_and_can_introspect_its_token()
    {
        const string ClientId = "rhizotomy-app-symmetric";
        using var browser = Server.CreateClient();
        var app = new SmartAppDriver(Server, browser);
        var parameters = app.AuthorizeParameters("launch/patient openid fhirUser patient/*.rs");
        parameters["client_id"] = ClientId;
        var code = await app.AuthorizeForCodeAsync(parameters);
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = SmartAppDriver.AppRedirectUri,
            ["code_verifier"] = app.Verifier,
        };

        var wrongSecret = await app.PostTokenAsync(form, Basic(ClientId, "not-the-secret"));
        await SmartAppDriver.ExpectErrorAsync(wrongSecret, "invalid_client");

        var posted = await app.PostTokenAsync(new Dictionary<string, string>(form) { ["client_id"] = ClientId, ["client_secret"] = "dev-only-secret" });
        await SmartAppDriver.ExpectErrorAsync(posted, "invalid_client");

        var response = await app.PostTokenAsync(form, Basic(ClientId, "dev-only-secret"));
        var accessToken = (await SmartAppDriver.ExpectAsync(response, HttpStatusCode.OK)).GetProperty("access_token").GetString()!;

        var introspection = await IntrospectAsync(browser, accessToken, Basic(ClientId, "dev-only-secret"));
        Assert.All(new[] { "active", "client_id", "sub", "patient", "scope", "exp" },
            name => Assert.True(introspection.TryGetProperty(name, out _), $"{name} missing from {introspection}"));
        Assert.True(introspection.GetProperty("active").GetBoolean());
        Assert.Equal(ClientId, introspection.GetProperty("client_id").GetString());
        Assert.Equal("surgeon-1", introspection.GetProperty("sub").GetString());
        Assert.Equal("classic-left", introspection.GetProperty("patient").GetString());
        Assert.Contains("patient/*.rs", introspection.GetProperty("scope").GetString()!.Split(' '));
        Assert.True(introspection.GetProperty("exp").GetInt64() > DateTimeOffset.UtcNow.ToUnixTimeSeconds());

        var garbage = await IntrospectAsync(browser, "not-a-token", Basic(ClientId, "dev-only-secret"));
        Assert.False(garbage.GetProperty("active").GetBoolean());
    }

    private static async Task<System.Text.Json.JsonElement> IntrospectAsync(HttpClient http, string token, AuthenticationHeaderValue authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/auth/introspect", UriKind.Relative))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token }),
        };
        request.Headers.Authorization = authorization;
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await SmartAppDriver.JsonAsync(response);
    }

    private static AuthenticationHeaderValue Basic(string clientId, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.EscapeDataString(clientId) + ":" + Uri.EscapeDataString(secret))));

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string clientId, string assertion, string scope) =>
        http.PostAsync(new Uri("/auth/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["scope"] = scope,
            ["client_assertion_type"] = AssertionType,
            ["client_assertion"] = assertion,
        }));
}
