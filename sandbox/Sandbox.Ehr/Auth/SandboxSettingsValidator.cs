using Microsoft.Extensions.Options;

namespace Sandbox.Ehr.Auth;

/// <summary>
/// Checks the <c>Sandbox</c> settings when the sandbox starts (<c>ValidateOnStart</c>): a setting that
/// would break a launch (an origin that is no URL, a client that cannot authenticate) stops the start
/// with one line per setting, naming it and what to put there.
/// </summary>
public sealed class SandboxSettingsValidator : IValidateOptions<SandboxAuthOptions>
{
    private static readonly string[] ClientTypes = [SmartClientRegistration.Public, SmartClientRegistration.Symmetric, SmartClientRegistration.Asymmetric];

    public ValidateOptionsResult Validate(string? name, SandboxAuthOptions options)
    {
        var failures = new List<string>();
        const string S = SandboxAuthOptions.Section;
        if (!string.IsNullOrWhiteSpace(options.PublicOrigin) && !IsHttpUrl(options.PublicOrigin))
            failures.Add($"{S}:PublicOrigin is '{options.PublicOrigin}': put the origin the sandbox is reached at, such as http://127.0.0.1:5080, or leave it out.");
        if (!IsHttpUrl(options.AppOrigin))
            failures.Add($"{S}:AppOrigin is '{options.AppOrigin}': put the origin the app runs at, such as {SmartClientRegistration.DefaultAppOrigin}.");
        if (options.Storage?.ToLowerInvariant() is not ("file" or "memory"))
            failures.Add($"{S}:Storage is '{options.Storage}': put file or memory.");
        if (string.IsNullOrWhiteSpace(options.DataFolder))
            failures.Add($"{S}:DataFolder is empty: put a folder for the sandbox's data, such as data.");
        if (options.StandaloneUser?.ToLowerInvariant() is not ("practitioner" or "patient"))
            failures.Add($"{S}:StandaloneUser is '{options.StandaloneUser}': put practitioner or patient.");
        if (options.AccessTokenMinutes <= 0)
            failures.Add($"{S}:AccessTokenMinutes is {options.AccessTokenMinutes}: put a number of minutes above 0, such as 60.");
        if (options.LaunchContextMinutes <= 0)
            failures.Add($"{S}:LaunchContextMinutes is {options.LaunchContextMinutes}: put a number of minutes above 0, such as 10.");
        for (var i = 0; i < options.ExternalFhirBases.Count; i++)
        {
            if (!IsHttpUrl(options.ExternalFhirBases[i]))
                failures.Add($"{S}:ExternalFhirBases:{i} is '{options.ExternalFhirBases[i]}': put the FHIR base URL of a server this one authorizes for, such as http://127.0.0.1:5081/fhir.");
        }
        for (var i = 0; i < options.Clients.Count; i++)
            failures.AddRange(Check($"{S}:Clients:{i}", options.Clients[i]));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static IEnumerable<string> Check(string key, SmartClientRegistration client)
    {
        if (string.IsNullOrWhiteSpace(client.ClientId))
            yield return $"{key}:ClientId is empty: put the client id the app sends, such as rhizotomy-app.";
        if (!ClientTypes.Contains(client.Type, StringComparer.OrdinalIgnoreCase))
            yield return $"{key}:Type is '{client.Type}': put public, symmetric or asymmetric.";
        else if (string.Equals(client.Type, SmartClientRegistration.Symmetric, StringComparison.OrdinalIgnoreCase) && string.IsNullOrEmpty(client.Secret))
            yield return $"{key}:Secret is empty: a symmetric client needs the shared secret the app sends.";
        else if (client.IsAsymmetric && string.IsNullOrWhiteSpace(client.Jwks) && !IsHttpUrl(client.JwksUri))
            yield return $"{key}:JwksUri is '{client.JwksUri}': an asymmetric client needs its JWKS URL (or the keys inline in Jwks).";
        for (var i = 0; i < client.RedirectUris.Count; i++)
        {
            if (!IsHttpUrl(client.RedirectUris[i]))
                yield return $"{key}:RedirectUris:{i} is '{client.RedirectUris[i]}': put the app's redirect URI, such as {SmartClientRegistration.DefaultAppOrigin}/callback.";
        }
        if (client.LaunchUrl is { Length: > 0 } launch && !IsHttpUrl(launch))
            yield return $"{key}:LaunchUrl is '{launch}': put the app's launch URL, such as {SmartClientRegistration.DefaultAppOrigin}/launch.";
    }

    private static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
