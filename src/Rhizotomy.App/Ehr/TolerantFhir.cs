using System.Collections;
using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace Rhizotomy.App.Ehr;

/// <summary>One part of an EHR's answer that could not be read: where it was and Firely's error code (never the value).</summary>
public sealed record SkippedElement(string Path, string Code);

/// <summary>
/// Reads what an EHR sends (CapabilityStatement, Bundles, resources) the way real EHRs send it: Firely's
/// deserializer reports every problem with its path, the resource is kept as far as it could be read, and
/// each element that could not be read (a wrong literal, a code outside R4's value set) is removed, so the
/// rest of the app never trips over it. Unknown elements and empty arrays are simply ignored.
/// </summary>
public static partial class TolerantFhir
{
    private static readonly FhirJsonDeserializer Reporting = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));

    /// <summary>The resource in <paramref name="json"/>, or null when it is not a FHIR resource at all (not JSON, no resourceType).</summary>
    public static Resource? Parse(string json, out IReadOnlyList<SkippedElement> skipped)
    {
        skipped = [];
        if (string.IsNullOrWhiteSpace(json))
            return null;
        Resource? resource;
        IEnumerable<CodedException> issues;
        try
        {
            Reporting.TryDeserializeResource(json, out resource, out issues);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or DeserializationFailedException or InvalidOperationException)
        {
            return null;
        }
        if (resource is null)
            return null;
        var list = new List<SkippedElement>();
        foreach (var issue in issues)
        {
            var path = (issue as ExtendedCodedException)?.InstancePath ?? "";
            list.Add(new SkippedElement(path, issue.ErrorCode));
            if (path.Length > 0 && !IgnoredOnly(issue.ErrorCode))
                Remove(resource, path);
        }
        skipped = list;
        return resource;
    }

    /// <summary>Errors that lose nothing the app reads: an unknown element (kept aside by Firely) or an empty array.</summary>
    private static bool IgnoredOnly(string code) => code is "PVAL128" or "JSON121" or "JSON122";

    /// <summary>Removes the element at a Firely instance path (<c>CapabilityStatement.rest[0].interaction[1].code</c>).</summary>
    private static void Remove(Base root, string path)
    {
        var segments = path.Split('.').Skip(1).Select(s => Segment().Match(s)).ToList();
        if (segments.Count == 0 || segments.Any(m => !m.Success))
            return;
        object? node = root;
        // The list item the walk is in, so an item left empty by the removal goes too (an interaction without its code).
        (IList List, int Index)? container = null;
        for (var i = 0; i < segments.Count; i++)
        {
            if (node is not Base parent)
                return;
            var name = segments[i].Groups[1].Value;
            var index = segments[i].Groups[2].Success ? int.Parse(segments[i].Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : (int?)null;
            if (!parent.TryGetValue(name, out var child) || child is null)
                return;
            var last = i == segments.Count - 1;
            if (index is { } n)
            {
                if (child is not IList items || n >= items.Count)
                    return;
                if (last)
                {
                    items.RemoveAt(n);
                    return;
                }
                node = items[n];
                container = (items, n);
            }
            else
            {
                if (last)
                {
                    try
                    {
                        parent.SetValue(name, null);
                        if (container is { } c && ReferenceEquals(c.List[c.Index], parent) && !parent.EnumerateElements().Any())
                            c.List.RemoveAt(c.Index);
                    }
                    catch (Exception e) when (e is InvalidOperationException or ArgumentException or KeyNotFoundException or NotSupportedException)
                    {
                        // A required choice element that cannot be unset: leave it.
                    }
                    return;
                }
                node = child;
                container = null;
            }
        }
    }

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9_]*)(?:\[(\d+)\])?$")]
    private static partial Regex Segment();
}

/// <summary>
/// Logs what could not be read from an EHR once per EHR, kind of answer and path (a structured warning: the
/// paths and Firely's codes, never a value, so no PHI), and keeps the count for <c>ehr-check</c>.
/// </summary>
public sealed class TolerantReadLog(ILogger<TolerantReadLog> log)
{
    private readonly ConcurrentDictionary<string, byte> _seen = new();

    public Resource? Parse(string issuer, string json) => Parse(issuer, json, out _);

    public Resource? Parse(string issuer, string json, out IReadOnlyList<SkippedElement> skipped)
    {
        var resource = TolerantFhir.Parse(json, out skipped);
        Report(issuer, resource?.TypeName ?? "unreadable", skipped);
        return resource;
    }

    public void Report(string issuer, string what, IReadOnlyList<SkippedElement> skipped)
    {
        if (skipped.Count == 0)
            return;
        var fresh = skipped.Where(s => _seen.TryAdd(issuer + "\n" + what + "\n" + Generic(s.Path) + "\n" + s.Code, 0)).ToList();
        if (fresh.Count == 0)
            return;
        log.LogWarning("Parts of an EHR's {ResourceType} could not be read and were skipped: {SkippedPaths} ({Codes}); EHR {Issuer}",
            what, fresh.Select(s => Generic(s.Path)).Distinct().ToArray(), fresh.Select(s => s.Code).Distinct().ToArray(), issuer);
    }

    /// <summary>The path without list positions, so one bad element in every entry of a Bundle is one warning.</summary>
    public static string Generic(string path) => Regex.Replace(path, @"\[\d+\]", "[]");
}

/// <summary>The gateway's serialization engine: Firely's serializer out, <see cref="TolerantFhir"/> in.</summary>
public sealed class TolerantSerializationEngine(string issuer, TolerantReadLog log) : IFhirSerializationEngine
{
    private static readonly FhirJsonSerializer Serializer = new();

    public Resource DeserializeFromJson(string data) =>
        log.Parse(issuer, data) ?? throw new DeserializationFailedException(null, [new CodedException("UNREADABLE", "The EHR's answer is not a FHIR resource.")]);

    public Resource DeserializeFromXml(string data) =>
        throw new DeserializationFailedException(null, [new CodedException("XML", "The app reads FHIR JSON only.")]);

    public string SerializeToJson(Resource instance) => Serializer.SerializeToString(instance);

    public string SerializeToXml(Resource instance) => throw new NotSupportedException("The app sends FHIR JSON only.");
}
