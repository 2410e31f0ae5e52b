using System.Net;
using System.Text.Json;

namespace Sandbox.Ehr.Tests.Auth;

[Collection(SandboxCollection.Name)]
public class SmartDiscoveryTests(SandboxFixture fixture)
{
    [Fact]
    public async Task The_smart_configuration_lists_endpoints_methods_and_capabilities()
    {
        using var client = fixture.Server.CreateClient();
        var response = await client.GetAsync(new Uri("/fhir/.well-known/smart-configuration", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await SmartAppDriver.JsonAsync(response);
        var origin = fixture.Server.OriginText;

        Assert.Equal(origin + "/", json.GetProperty("issuer").GetString());
        Assert.Equal(origin + "/.well-known/jwks", json.GetProperty("jwks_uri").GetString());
        Assert.Equal(origin + "/auth/authorize", json.GetProperty("authorization_endpoint").GetString());
        Assert.Equal(origin + "/auth/token", json.GetProperty("token_endpoint").GetString());
        Assert.Equal(origin + "/auth/introspect", json.GetProperty("introspection_endpoint").GetString());
        Assert.Equal(["S256"], Strings(json, "code_challenge_methods_supported"));
        Assert.Equal(["authorization_code", "refresh_token", "client_credentials"], Strings(json, "grant_types_supported"));
        Assert.Contains("private_key_jwt", Strings(json, "token_endpoint_auth_methods_supported"));
        Assert.Contains("client_secret_basic", Strings(json, "token_endpoint_auth_methods_supported"));
        Assert.Equal(["RS384", "ES384"], Strings(json, "token_endpoint_auth_signing_alg_values_supported"));
        Assert.Contains("code", Strings(json, "response_types_supported"));
        Assert.Contains("launch/patient", Strings(json, "scopes_supported"));

        string[] capabilities =
        [
            "launch-ehr", "launch-standalone", "client-public", "client-confidential-symmetric", "client-confidential-asymmetric",
            "sso-openid-connect", "context-banner", "context-style", "context-ehr-patient", "context-ehr-encounter",
            "context-standalone-patient", "permission-offline", "permission-patient", "permission-user", "permission-v1", "permission-v2",
        ];
        Assert.All(capabilities, capability => Assert.Contains(capability, Strings(json, "capabilities")));
    }

    [Fact]
    public async Task The_openid_configuration_agrees_with_the_smart_configuration_and_refuses_plain_pkce()
    {
        using var client = fixture.Server.CreateClient();
        var smart = await SmartAppDriver.JsonAsync(await client.GetAsync(new Uri("/fhir/.well-known/smart-configuration", UriKind.Relative)));
        var oidc = await SmartAppDriver.JsonAsync(await client.GetAsync(new Uri("/.well-known/openid-configuration", UriKind.Relative)));

        Assert.Equal(smart.GetProperty("issuer").GetString(), oidc.GetProperty("issuer").GetString());
        Assert.Equal(smart.GetProperty("token_endpoint").GetString(), oidc.GetProperty("token_endpoint").GetString());
        Assert.Equal(smart.GetProperty("jwks_uri").GetString(), oidc.GetProperty("jwks_uri").GetString());
        Assert.DoesNotContain("plain", Strings(oidc, "code_challenge_methods_supported"));

        var jwks = await SmartAppDriver.JsonAsync(await client.GetAsync(new Uri("/.well-known/jwks", UriKind.Relative)));
        Assert.NotEmpty(jwks.GetProperty("keys").EnumerateArray());
    }

    [Fact]
    public async Task The_style_document_named_in_token_responses_is_served()
    {
        using var client = fixture.Server.CreateClient();
        var style = await SmartAppDriver.JsonAsync(await client.GetAsync(new Uri("/smart-style.json", UriKind.Relative)));
        Assert.StartsWith("#", style.GetProperty("color_background").GetString(), StringComparison.Ordinal);
    }

    private static string[] Strings(JsonElement json, string name) =>
        [.. json.GetProperty(name).EnumerateArray().Select(item => item.GetString()!)];
}
