namespace Rhizotomy.App.Launch;

/// <summary>How the app authenticates to one EHR's token endpoint.</summary>
public enum ClientAuthMethod
{
    /// <summary>Public client: PKCE only, <c>client_id</c> in the body.</summary>
    Public,
    /// <summary>Confidential symmetric: HTTP Basic with the client secret.</summary>
    ClientSecretBasic,
    /// <summary>Confidential asymmetric: a signed JWT client assertion (RS384 or ES384).</summary>
    PrivateKeyJwt,
}

/// <summary>One EHR the app is registered with (<c>App:Ehrs</c> array).</summary>
public sealed class EhrRegistration
{
    /// <summary>The FHIR base URL the EHR sends as <c>iss</c>.</summary>
    public string Issuer { get; set; } = "";
    public string ClientId { get; set; } = "";
    public ClientAuthMethod AuthMethod { get; set; } = ClientAuthMethod.Public;
    public string? ClientSecret { get; set; }
    /// <summary>Private key for <c>private_key_jwt</c>: PEM (RSA or P-384 EC) or a private JWK as JSON.</summary>
    public string? SigningKey { get; set; }
    /// <summary>Key id published in the app's JWKS; defaults to the key's JWK thumbprint.</summary>
    public string? KeyId { get; set; }
    /// <summary>Origins allowed to embed the app in a frame (CSP <c>frame-ancestors</c>).</summary>
    public List<string> FrameAncestors { get; set; } = [];
    /// <summary>Replaces the default scope list for this EHR (space separated).</summary>
    public string? Scopes { get; set; }
    /// <summary>Forces v1 (<c>.read</c>/<c>.write</c>) or v2 scope syntax; by default from the server's capabilities.</summary>
    public string? ScopeVersion { get; set; }
    /// <summary>Forces the write-back strategy (<c>transaction</c>, <c>individual</c>, <c>document-only</c>); by default from the CapabilityStatement.</summary>
    public string? WriteStrategy { get; set; }
    /// <summary>DocumentReference content as <c>text/plain</c> only, whatever the CapabilityStatement says.</summary>
    public bool? PlainTextOnly { get; set; }
    /// <summary>DocumentReference with exactly one <c>content</c>, whatever the CapabilityStatement says.</summary>
    public bool? SingleContent { get; set; }
    /// <summary>
    /// The DocumentReference type's LOINC code for an EHR that refuses 11504-8 (Surgical operation note): <c>28570-0</c>
    /// (Procedure note) is the one allowed. Null: 11504-8.
    /// </summary>
    public string? NoteType { get; set; }
    /// <summary>The organisation that keeps the notes (<c>Organization/123</c>): Composition and DocumentReference custodian.</summary>
    public string? Custodian { get; set; }
    /// <summary>
    /// A SMART Backend Services registration at this EHR, when the site made one: pending notes
    /// whose surgeon token can no longer be had are sent with its client credentials instead of
    /// waiting for a new launch. Null: they wait.
    /// </summary>
    public BackendRegistration? Backend { get; set; }
}

/// <summary>A SMART Backend Services client (<c>client_credentials</c> with a <c>private_key_jwt</c> assertion).</summary>
public sealed class BackendRegistration
{
    /// <summary>The write scopes the pending notes need, whatever the strategy (transaction, individual, document-only).</summary>
    public const string DefaultScopes =
        "system/DocumentReference.crs system/Procedure.crus system/Composition.crs system/QuestionnaireResponse.crs system/Provenance.crs";

    /// <summary>The backend client id the EHR issued (usually not the launch client's).</summary>
    public string ClientId { get; set; } = "";
    /// <summary>Private key for the client assertion: PEM (RSA or P-384 EC) or a private JWK as JSON.</summary>
    public string? SigningKey { get; set; }
    /// <summary>Key id published in the app's JWKS; defaults to the key's JWK thumbprint.</summary>
    public string? KeyId { get; set; }
    /// <summary>The <c>system/</c> scopes asked for (space separated); <see cref="DefaultScopes"/> when not set.</summary>
    public string? Scopes { get; set; }

    /// <summary>True when the registration can be used (a client id and a key).</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(ClientId) && !string.IsNullOrWhiteSpace(SigningKey);
}

/// <summary>The app's configuration section <c>App</c>.</summary>
public sealed class AppOptions
{
    public const string Section = "App";

    /// <summary>Origin the browser reaches the app at; <c>/callback</c> under it is the redirect URI.</summary>
    public string PublicOrigin { get; set; } = "http://127.0.0.1:5090";
    /// <summary>Redis connection string; when set, sessions and data-protection keys live there.</summary>
    public string? Redis { get; set; }
    /// <summary>Folder for data-protection keys when Redis is not configured.</summary>
    public string? DataProtectionKeys { get; set; }
    /// <summary>
    /// A PKCS#12 (.pfx) file whose certificate encrypts the data-protection key ring at rest (file system or Redis);
    /// its password in <see cref="DataProtectionCertificatePassword"/>. Without it the keys are stored unencrypted.
    /// </summary>
    public string? DataProtectionCertificate { get; set; }
    public string? DataProtectionCertificatePassword { get; set; }
    /// <summary>A launch-session ends after this long without use.</summary>
    public int SessionIdleMinutes { get; set; } = 60;
    /// <summary>A launch-session ends this long after the launch whatever happens.</summary>
    public int SessionMaxHours { get; set; } = 12;
    /// <summary>How long a discovered SMART configuration is trusted before it is read again.</summary>
    public int DiscoveryCacheMinutes { get; set; } = 60;
    /// <summary>Largest <c>_count</c> asked of the EHR per search page.</summary>
    public int PageSize { get; set; } = 100;
    /// <summary>Most search pages followed per resource type (a guard against endless <c>next</c> links).</summary>
    public int MaxPages { get; set; } = 50;
    public List<EhrRegistration> Ehrs { get; set; } = [];
    /// <summary>A site's changes to the evidence code lists, phrases and necessity checklist (<c>App:Evidence</c>).</summary>
    public Evidence.EvidenceOptions Evidence { get; set; } = new();

    public Uri RedirectUri => new(PublicOrigin.TrimEnd('/') + "/callback");
    public bool IsHttps => PublicOrigin.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The registration for an <c>iss</c>, matched on the normalised URL; null when not configured.</summary>
    public EhrRegistration? Find(string? iss)
    {
        var key = Normalise(iss);
        return key is null ? null : Ehrs.FirstOrDefault(e => Normalise(e.Issuer) == key);
    }

    public static string? Normalise(string? url)
    {
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri))
            return null;
        if (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            return null;
        return uri.GetLeftPart(UriPartial.Path).TrimEnd('/').ToLowerInvariant();
    }
}
