using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Sandbox.Ehr.Auth;

/// <summary>What an EHR launch fixes: the signed-in practitioner, the chart context and the app it was made for.</summary>
/// <param name="ClientIds">The client registrations the launch was made for (those whose launch URL the launcher sent it to).</param>
public sealed record LaunchContext(
    string PractitionerId,
    string? PatientId,
    string? EncounterId,
    bool NeedPatientBanner,
    DateTimeOffset ExpiresAt,
    IReadOnlySet<string> ClientIds);

/// <summary>
/// Server-side launch contexts behind opaque, unguessable ids. Short-lived and in memory: a launch
/// that outlives a restart is simply started again from the launcher. A launch id is good for one
/// authorization, and only for the client(s) it was made for.
/// </summary>
public sealed class LaunchContexts(IOptions<SandboxAuthOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, LaunchContext> _contexts = new(StringComparer.Ordinal);

    public string Create(string practitionerId, string? patientId, string? encounterId, bool needPatientBanner, IEnumerable<string> clientIds)
    {
        var now = time.GetUtcNow();
        foreach (var expired in _contexts.Where(pair => pair.Value.ExpiresAt <= now).Select(pair => pair.Key).ToList())
        {
            _contexts.TryRemove(expired, out _);
        }

        var id = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        _contexts[id] = new LaunchContext(practitionerId, patientId, encounterId, needPatientBanner,
            now.AddMinutes(options.Value.LaunchContextMinutes), clientIds.ToHashSet(StringComparer.Ordinal));
        return id;
    }

    /// <summary>The launch, if it is known, unexpired, unused and made for <paramref name="clientId"/>; it stays usable.</summary>
    public LaunchContext? Resolve(string? id, string? clientId) =>
        id is not null && clientId is not null && _contexts.TryGetValue(id, out var context)
            && context.ExpiresAt > time.GetUtcNow() && context.ClientIds.Contains(clientId) ? context : null;

    /// <summary>Uses the launch up: true once, for the first caller, when <see cref="Resolve"/> would give it.</summary>
    public bool Consume(string id, string clientId) =>
        Resolve(id, clientId) is { } context && _contexts.TryRemove(new KeyValuePair<string, LaunchContext>(id, context));
}
