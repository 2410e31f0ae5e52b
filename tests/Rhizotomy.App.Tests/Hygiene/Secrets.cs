using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Rhizotomy.App.Tests.Hygiene;

/// <summary>The values that must never show up in a log, a URL or an error: named, so a failure says what leaked.</summary>
public sealed partial class Secrets
{
    private readonly ConcurrentDictionary<string, string> _values = new(StringComparer.Ordinal);

    /// <summary>Adds a value; empty and very short values are skipped (they would match by chance).</summary>
    public void Add(string name, string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length < 4)
            return;
        _values.TryAdd(value, name);
    }

    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>Finds every known value and every JWT-shaped string in <paramref name="text"/>, with a little context.</summary>
    public List<string> FindIn(string text, params string[] allowed)
    {
        var found = new List<string>();
        foreach (var (value, name) in _values)
        {
            if (allowed.Contains(name))
                continue;
            var at = text.IndexOf(value, StringComparison.Ordinal);
            if (at >= 0)
                found.Add($"{name} at: …{Around(text, at, value.Length)}…");
        }
        foreach (Match jwt in JwtShaped().Matches(text))
            found.Add($"JWT-shaped string at: …{Around(text, jwt.Index, jwt.Length)}…");
        return found;
    }

    private static string Around(string text, int at, int length)
    {
        var start = Math.Max(0, at - 80);
        var end = Math.Min(text.Length, at + length + 40);
        return text[start..end].ReplaceLineEndings(" ");
    }

    /// <summary>A JOSE header (<c>{"</c> base64url-encoded is <c>eyJ</c>) followed by a dot: a JWS or JWE.</summary>
    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")]
    private static partial Regex JwtShaped();
}
