using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Templates;

namespace Rhizotomy.Core.Prefill;

/// <summary>
/// An SDC <c>x-fhir-query</c> (<c>Condition?patient={{%patient.id}}&amp;clinical-status=active</c>) answered from
/// the chart the app already read, without a round trip: embedded <c>{{FHIRPath}}</c> is evaluated first, then
/// each search parameter is matched with its R4 definition (token, reference, string, date equality).
/// </summary>
public static partial class ChartQuery
{
    /// <summary>The matching resources; <paramref name="problem"/> says why a query could not be answered (then empty).</summary>
    public static IReadOnlyList<Resource> Run(string query, IReadOnlyList<Resource> chart, IReadOnlyDictionary<string, IReadOnlyList<Base>> variables, out string? problem)
    {
        problem = null;
        string resolved;
        try
        {
            resolved = Embedded().Replace(query, m =>
                Sdc.Evaluate(null, m.Groups[1].Value, variables).FirstOrDefault() is PrimitiveType p ? p.ToString() ?? "" : "");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            problem = "an embedded expression could not be evaluated";
            return [];
        }
        var question = resolved.IndexOf('?', StringComparison.Ordinal);
        var type = (question < 0 ? resolved : resolved[..question]).Trim().TrimStart('/');
        if (!ModelInfo.IsKnownResource(type))
        {
            problem = $"'{type}' is not a FHIR resource type";
            return [];
        }
        var criteria = question < 0 ? [] : resolved[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).Select(p => (Name: Uri.UnescapeDataString(p[0]), Value: p.Length > 1 ? Uri.UnescapeDataString(p[1]) : "")).ToList();
        var matches = chart.Where(r => r.TypeName == type).ToList();
        foreach (var (name, value) in criteria)
        {
            if (name == "_id")
            {
                matches = [.. matches.Where(r => value.Split(',').Contains(r.Id))];
                continue;
            }
            if (name is "_count" or "_sort" or "_elements")
            {
                continue;
            }
            var definition = ModelInfo.SearchParameters.FirstOrDefault(s => s.Resource == type && s.Name == name && !string.IsNullOrEmpty(s.Expression));
            if (definition is null || definition.Type is not (SearchParamType.Token or SearchParamType.Reference or SearchParamType.String or SearchParamType.Date))
            {
                problem = $"the search parameter '{name}' of {type} cannot be answered from the chart in memory";
                return [];
            }
            matches = [.. matches.Where(r => value.Split(',').Any(v => Matches(r, definition, v)))];
        }
        return matches;
    }

    private static bool Matches(Resource resource, SearchParamDefinition definition, string value)
    {
        IReadOnlyList<Base> values;
        try
        {
            // Nothing resolves here: "subject.where(resolve() is Patient)" is read as "subject" (the reference is then matched as given).
            values = Sdc.Evaluate(resource, ResolveFilter().Replace(definition.Expression!, string.Empty), new Dictionary<string, IReadOnlyList<Base>>());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
        var (system, code) = value.Contains('|', StringComparison.Ordinal) ? (value[..value.IndexOf('|', StringComparison.Ordinal)], value[(value.IndexOf('|', StringComparison.Ordinal) + 1)..]) : ((string?)null, value);
        bool Token(string? s, string? c) => c == code && (system is null || s == system);
        return values.Any(v => v switch
        {
            Coding c => Token(c.System, c.Code),
            CodeableConcept cc => cc.Coding.Any(c => Token(c.System, c.Code)),
            Identifier i => Token(i.System, i.Value),
            ResourceReference r => r.Reference is { } reference && (reference == value || reference.EndsWith("/" + value, StringComparison.Ordinal)),
            FhirString or Markdown => v.ToString()!.StartsWith(value, StringComparison.OrdinalIgnoreCase),
            PrimitiveType p => p.ToString() == value,
            _ => false,
        });
    }

    [GeneratedRegex(@"\.where\(resolve\(\) is \w+\)", RegexOptions.None, 100)]
    private static partial Regex ResolveFilter();

    [GeneratedRegex(@"\{\{(.+?)\}\}", RegexOptions.None, 100)]
    private static partial Regex Embedded();
}
