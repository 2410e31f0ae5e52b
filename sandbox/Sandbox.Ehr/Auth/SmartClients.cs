using Microsoft.Extensions.Options;

namespace Sandbox.Ehr.Auth;

/// <summary>The effective client registrations: the defaults, then configuration (same id replaces).</summary>
public sealed class SmartClients
{
    private readonly Dictionary<string, SmartClientRegistration> _byId = new(StringComparer.Ordinal);

    public SmartClients(IOptions<SandboxAuthOptions> options)
    {
        foreach (var registration in SmartClientRegistration.Defaults(options.Value.AppOrigin).Concat(options.Value.Clients))
        {
            if (!string.IsNullOrWhiteSpace(registration.ClientId))
            {
                _byId[registration.ClientId] = registration;
            }
        }
    }

    public IReadOnlyCollection<SmartClientRegistration> All => _byId.Values;

    public SmartClientRegistration? Find(string? clientId) =>
        clientId is not null && _byId.TryGetValue(clientId, out var registration) ? registration : null;

    /// <summary>The registration whose launch URL is exactly <paramref name="launchUrl"/> (the launcher's open-redirect guard).</summary>
    public SmartClientRegistration? FindByLaunchUrl(string launchUrl) =>
        _byId.Values.FirstOrDefault(c => string.Equals(c.LaunchUrl, launchUrl, StringComparison.Ordinal));

    /// <summary>The requested scopes this client may have, in request order.</summary>
    public static IReadOnlyList<string> Narrow(IEnumerable<string> requested, SmartClientRegistration client) =>
        [.. requested.Distinct(StringComparer.Ordinal).Where(scope => client.Scopes.Any(pattern => Matches(pattern, scope)))];

    private static bool Matches(string pattern, string scope) =>
        pattern.EndsWith('*')
            ? scope.StartsWith(pattern[..^1], StringComparison.Ordinal) && scope.Length > pattern.Length - 1
            : string.Equals(pattern, scope, StringComparison.Ordinal);
}
