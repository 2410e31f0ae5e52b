namespace Sandbox.Ehr.Auth;

/// <summary>SMART's <c>.well-known/smart-configuration</c> and the style document the token response points at.</summary>
internal static class SmartDiscovery
{
    private static readonly string[] Capabilities =
    [
        "launch-ehr", "launch-standalone",
        "client-public", "client-confidential-symmetric", "client-confidential-asymmetric",
        "sso-openid-connect",
        "context-banner", "context-style",
        "context-ehr-patient", "context-ehr-encounter", "context-standalone-patient", "context-standalone-encounter",
        "permission-offline", "permission-online", "permission-patient", "permission-user", "permission-v1", "permission-v2",
    ];

    private static readonly string[] ScopesSupported =
    [
        "openid", "fhirUser", "profile", "launch", "launch/patient", "launch/encounter", "offline_access", "online_access",
        "patient/*.rs", "patient/*.cruds", "user/*.rs", "user/*.cruds", "system/*.rs", "system/*.cruds",
        "patient/*.read", "patient/*.write", "user/*.read", "user/*.write", "system/*.read", "system/*.write",
    ];

    private static readonly string[] GrantTypes = ["authorization_code", "refresh_token", "client_credentials"];
    private static readonly string[] CodeChallengeMethods = ["S256"];
    private static readonly string[] ClientAuthMethods = ["client_secret_basic", "private_key_jwt"];
    private static readonly string[] ClientAssertionAlgorithms = ["RS384", "ES384"];
    private static readonly string[] ResponseTypes = ["code"];

    public static void MapSmartDiscovery(this WebApplication app)
    {
        app.MapGet("/fhir/.well-known/smart-configuration", (HttpContext http, SmartUrls urls) =>
        {
            var origin = urls.Origin(http);
            return Results.Json(new Dictionary<string, object>
            {
                ["issuer"] = urls.Issuer(http),
                ["jwks_uri"] = origin + SmartUrls.JwksPath,
                ["authorization_endpoint"] = origin + SmartUrls.AuthorizePath,
                ["token_endpoint"] = origin + SmartUrls.TokenPath,
                ["introspection_endpoint"] = origin + SmartUrls.IntrospectPath,
                ["grant_types_supported"] = GrantTypes,
                ["code_challenge_methods_supported"] = CodeChallengeMethods,
                ["token_endpoint_auth_methods_supported"] = ClientAuthMethods,
                ["token_endpoint_auth_signing_alg_values_supported"] = ClientAssertionAlgorithms,
                ["scopes_supported"] = ScopesSupported,
                ["response_types_supported"] = ResponseTypes,
                ["capabilities"] = Capabilities,
            });
        }).ExcludeFromDescription();

        // SMART styling hints for an app embedded in the sandbox's chart.
        app.MapGet(SmartUrls.StylePath, () => Results.Json(new Dictionary<string, object>
        {
            ["color_background"] = "#f6f7f9",
            ["color_error"] = "#9e2d2d",
            ["color_highlight"] = "#5c2d91",
            ["color_modal_backdrop"] = "#00000066",
            ["color_success"] = "#2e7d32",
            ["color_text"] = "#1f2328",
            ["dim_border_radius"] = "4px",
            ["dim_font_size"] = "16px",
            ["dim_spacing_size"] = "16px",
            ["font_family_body"] = "system-ui, sans-serif",
            ["font_family_heading"] = "system-ui, sans-serif",
        })).ExcludeFromDescription();
    }
}
