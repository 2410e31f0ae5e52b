namespace Sandbox.Ehr.Auth;

/// <summary>One SMART client as configured under <c>Sandbox:Clients</c>.</summary>
public sealed class SmartClientRegistration
{
    public const string Public = "public";
    public const string Symmetric = "symmetric";
    public const string Asymmetric = "asymmetric";

    /// <summary>The app's development registration (public client, PKCE only).</summary>
    public const string AppClientId = "rhizotomy-app";

    public string ClientId { get; set; } = "";

    public string? DisplayName { get; set; }

    /// <summary><c>public</c>, <c>symmetric</c> (client_secret_basic) or <c>asymmetric</c> (private_key_jwt).</summary>
    public string Type { get; set; } = Public;

    /// <summary>Dev-only shared secret of a symmetric client.</summary>
    public string? Secret { get; set; }

    /// <summary>Inline JWKS (JSON text) of an asymmetric client.</summary>
    public string? Jwks { get; set; }

    /// <summary>Where an asymmetric client publishes its JWKS (fetched when it authenticates).</summary>
    public string? JwksUri { get; set; }

    public List<string> RedirectUris { get; set; } = [];

    /// <summary>
    /// Scopes this client may be granted; a trailing <c>*</c> matches any suffix (<c>patient/*</c>).
    /// A request is narrowed to these, so tests can see a narrower <c>scope</c> than they asked for.
    /// </summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>The app's launch URL (EHR launch target); the launcher redirects only to registered ones.</summary>
    public string? LaunchUrl { get; set; }

    public bool IsConfidential => !string.Equals(Type, Public, StringComparison.OrdinalIgnoreCase);

    public bool IsAsymmetric => string.Equals(Type, Asymmetric, StringComparison.OrdinalIgnoreCase);

    private static readonly string[] AppScopes =
    [
        "openid", "fhirUser", "profile", "launch", "launch/patient", "launch/encounter",
        "offline_access", "online_access", "patient/*", "user/*",
    ];

    /// <summary>Where the app runs unless <c>Sandbox:AppOrigin</c> says otherwise (the app's own default).</summary>
    public const string DefaultAppOrigin = "http://127.0.0.1:5090";

    /// <summary>
    /// Registrations present unless configuration replaces them: the app (public), a confidential
    /// symmetric and a confidential asymmetric variant of it, and a Backend Services client, all at
    /// <paramref name="appOrigin"/> (<c>Sandbox:AppOrigin</c>). The asymmetric ones read the app's
    /// published JWKS; the secret is a short dev-only value.
    /// </summary>
    public static IReadOnlyList<SmartClientRegistration> Defaults(string appOrigin)
    {
        var origin = appOrigin.TrimEnd('/');
        List<string> Redirect() => [origin + "/callback"];
        var launch = origin + "/launch";
        var jwks = origin + "/.well-known/jwks.json";
        return
        [
            new()
            {
                ClientId = AppClientId, DisplayName = "Rhizotomy note (development)", Type = Public,
                RedirectUris = Redirect(), LaunchUrl = launch, Scopes = [.. AppScopes],
            },
            new()
            {
                ClientId = "rhizotomy-app-symmetric", DisplayName = "Rhizotomy note (confidential, shared secret)", Type = Symmetric,
                Secret = "dev-only-secret", RedirectUris = Redirect(), LaunchUrl = launch, Scopes = [.. AppScopes],
            },
            new()
            {
                ClientId = "rhizotomy-app-asymmetric", DisplayName = "Rhizotomy note (confidential, private key JWT)", Type = Asymmetric,
                JwksUri = jwks, RedirectUris = Redirect(), LaunchUrl = launch, Scopes = [.. AppScopes],
            },
            new()
            {
                ClientId = "rhizotomy-backend", DisplayName = "Rhizotomy integration jobs (Backend Services)", Type = Asymmetric,
                JwksUri = jwks, Scopes = ["system/*"],
            },
        ];
    }
}
