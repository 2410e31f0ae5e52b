using Microsoft.Extensions.Options;

namespace Sandbox.Ehr.Auth;

/// <summary>
/// The sandbox's public URLs: from <c>Sandbox:PublicOrigin</c> when set, else from the request (tests
/// run on random loopback ports).
/// </summary>
public sealed class SmartUrls(IOptions<SandboxAuthOptions> options)
{
    public const string AuthorizePath = "/auth/authorize";
    public const string TokenPath = "/auth/token";
    public const string IntrospectPath = "/auth/introspect";
    public const string JwksPath = "/.well-known/jwks";
    public const string OpenIdConfigurationPath = "/.well-known/openid-configuration";
    public const string StylePath = "/smart-style.json";

    public string Origin(HttpContext context)
    {
        var configured = options.Value.PublicOrigin;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured.TrimEnd('/');
        }

        var request = context.Request;
        return $"{request.Scheme}://{request.Host}{request.PathBase}".TrimEnd('/');
    }

    public string FhirBase(HttpContext context) => Origin(context) + "/fhir";

    /// <summary>The issuer exactly as OpenIddict writes it in tokens and discovery (origin with a trailing slash).</summary>
    public string Issuer(HttpContext context) => new Uri(Origin(context) + "/").AbsoluteUri;

    public static bool SameUrl(string? left, string? right) =>
        left is not null && right is not null &&
        string.Equals(left.TrimEnd('/'), right.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
}
