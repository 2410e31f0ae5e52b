using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Rhizotomy.App.Launch;

/// <summary>
/// Checks the <c>App</c> settings when the app starts (<c>ValidateOnStart</c>): a setting that would break a
/// launch or signing stops the start with one line per setting, naming it and what to put there, instead of
/// a failure in front of a surgeon later.
/// </summary>
public sealed partial class AppOptionsValidator(IConfiguration configuration) : IValidateOptions<AppOptions>
{
    public ValidateOptionsResult Validate(string? name, AppOptions options)
    {
        const string S = AppOptions.Section;
        var failures = new List<string>();
        if (!IsHttpUrl(options.PublicOrigin))
            failures.Add($"{S}:PublicOrigin is '{options.PublicOrigin}': put the origin the browser reaches the app at, such as https://rhizotomy.example.org.");
        // The binder drops a list entry it cannot read (an AuthMethod that is no method, a number that is no number).
        var configured = configuration.GetSection($"{S}:Ehrs").GetChildren().ToList();
        if (configured.Count > options.Ehrs.Count)
        {
            var read = options.Ehrs.Select(e => AppOptions.Normalise(e.Issuer)).ToHashSet();
            foreach (var entry in configured.Where(c => !read.Contains(AppOptions.Normalise(c["Issuer"]))))
                failures.Add($"{S}:Ehrs:{entry.Key} could not be read: check that AuthMethod is Public, ClientSecretBasic or PrivateKeyJwt and that PlainTextOnly and SingleContent are true or false.");
        }
        else if (options.Ehrs.Count == 0)
            failures.Add($"{S}:Ehrs is empty: add the EHR the app is registered with (Issuer, ClientId, AuthMethod, Custodian; see the app's README).");
        for (var i = 0; i < options.Ehrs.Count; i++)
            failures.AddRange(Check($"{S}:Ehrs:{i}", options.Ehrs[i]));
        Positive(failures, $"{S}:SessionIdleMinutes", options.SessionIdleMinutes, 60);
        Positive(failures, $"{S}:SessionMaxHours", options.SessionMaxHours, 12);
        Positive(failures, $"{S}:PageSize", options.PageSize, 100);
        Positive(failures, $"{S}:MaxPages", options.MaxPages, 50);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static IEnumerable<string> Check(string key, EhrRegistration ehr)
    {
        if (AppOptions.Normalise(ehr.Issuer) is null)
            yield return $"{key}:Issuer is '{ehr.Issuer}': put the EHR's FHIR base URL, exactly the iss it sends, such as https://ehr.example.org/fhir.";
        if (string.IsNullOrWhiteSpace(ehr.ClientId))
            yield return $"{key}:ClientId is empty: put the client id the EHR issued to the app.";
        if (ehr.AuthMethod == ClientAuthMethod.ClientSecretBasic && string.IsNullOrEmpty(ehr.ClientSecret))
            yield return $"{key}:ClientSecret is empty: AuthMethod ClientSecretBasic needs the secret the EHR issued (from an environment variable or a secret store).";
        if (ehr.AuthMethod == ClientAuthMethod.PrivateKeyJwt && string.IsNullOrWhiteSpace(ehr.SigningKey))
            yield return $"{key}:SigningKey is empty: AuthMethod PrivateKeyJwt needs the app's private key (PEM or a private JWK).";
        if (ehr.Custodian is null || !OrganizationReference().IsMatch(ehr.Custodian))
            yield return $"{key}:Custodian is '{ehr.Custodian}': put the organisation that keeps the notes as a reference, such as Organization/123 (signed notes name it as custodian).";
        if (ehr.ScopeVersion is { Length: > 0 } version && version is not ("v1" or "v2"))
            yield return $"{key}:ScopeVersion is '{version}': put v1 or v2, or leave it out to follow the EHR's discovery.";
        if (ehr.WriteStrategy is { Length: > 0 } strategy && WriteBack.WritePlan.Parse(strategy) is null)
            yield return $"{key}:WriteStrategy is '{strategy}': put transaction, individual or document-only, or leave it out to follow the EHR's CapabilityStatement.";
        for (var i = 0; i < ehr.FrameAncestors.Count; i++)
        {
            if (!IsHttpUrl(ehr.FrameAncestors[i]))
                yield return $"{key}:FrameAncestors:{i} is '{ehr.FrameAncestors[i]}': put the origin of the EHR page that embeds the app, such as https://ehr.example.org.";
        }
        if (ehr.Backend is { } backend && (!string.IsNullOrWhiteSpace(backend.ClientId) || !string.IsNullOrWhiteSpace(backend.SigningKey)) && !backend.IsConfigured)
            yield return $"{key}:Backend needs both ClientId and SigningKey (the Backend Services client the EHR issued), or neither.";
    }

    private static void Positive(List<string> failures, string key, int value, int example)
    {
        if (value <= 0)
            failures.Add($"{key} is {value}: put a number above 0, such as {example}.");
    }

    private static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    [GeneratedRegex("^Organization/[A-Za-z0-9\\-\\.]{1,64}$")]
    private static partial Regex OrganizationReference();
}
