using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Sandbox.Ehr.Auth;

/// <summary>What an EHR launch fixes: the signed-in practitioner and the chart context.</summary>
public sealed record LaunchContext(
    string PractitionerId,
    string? PatientId,
    string? EncounterId,
    bool NeedPatientBanner,
    DateTimeOffset ExpiresAt);

/// <summary>
/// Server-side launch contexts behind opaque, unguessable ids. Short-lived and in memory: a launch
/// that outlives a restart is simply started again from the launcher.
/// </summary>
public sealed class LaunchContexts(IOptions<SandboxAuthOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, LaunchContext> _contexts = new(StringComparer.Ordinal);

    public string Create(string practitionerId, string? patientId, string? encounterId, bool needPatientBanner)
    {
        var now = time.GetUtcNow();
        foreach (var expired in _contexts.Where(pair => pair.Value.ExpiresAt <= now).Select(pair => pair.Key).ToList())
        {
            _contexts.TryRemove(expired, out _);
        }

        var id = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        _contexts[id] = new LaunchContext(practitionerId, patientId, encounterId, needPatientBanner,
            now.AddMinutes(options.Value.LaunchContextMinutes));
        return id;
    }

    public LaunchContext? Resolve(string? id) =>
        id is not null && _contexts.TryGetValue(id, out var context) && context.ExpiresAt > time.GetUtcNow() ? context : null;
}
