using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;

namespace Sandbox.Ehr.Fhir;

/// <summary>Rows of the index tables for one resource version.</summary>
public sealed class IndexEntries
{
    public List<(string Param, string System, string Code, string Text)> Tokens { get; } = [];
    public List<(string Param, string TargetType, string TargetId)> References { get; } = [];
    public List<(string Param, long Low, long High)> Dates { get; } = [];
    public List<(string Param, string Normalized, string Exact)> Strings { get; } = [];
}

/// <summary>
/// Evaluates the R4 search parameter expressions (FHIRPath) on a resource at write time, so a
/// search is an index lookup and never a scan of stored JSON.
/// </summary>
public sealed class SearchIndexer(ILogger<SearchIndexer> logger)
{
    // Index values are capped: a hostile megabyte string is stored whole in the resource, not in an index.
    private const int MaxIndexedLength = 1024;
    private readonly FhirEvaluationContext _context = new();

    public IndexEntries Index(Resource resource)
    {
        var entries = new IndexEntries();
        var root = resource.ToPocoNode(ModelInfo.ModelInspector);
        IEnumerable<PocoNode> input = [root];
        foreach (var parameter in SearchParameters.For(resource.TypeName))
        {
            foreach (var branch in parameter.Branches)
            {
                IEnumerable<Base> values;
                try
                {
                    values = branch.Compiled(input, _context).Select(node => node.Poco).OfType<Base>().ToList();
                }
                catch (Exception e)
                {
                    // One parameter that cannot be evaluated on odd data must not block storing the resource.
                    logger.LogWarning("Search parameter {Type}.{Param} could not be evaluated: {Error}", resource.TypeName, parameter.Name, e.GetType().Name);
                    continue;
                }
                foreach (var value in values)
                {
                    Add(entries, parameter, branch, value);
                }
            }
        }
        return entries;
    }

    private static void Add(IndexEntries entries, SearchParam parameter, SearchBranch branch, Base value)
    {
        switch (parameter.Kind)
        {
            case IndexKind.Token:
                AddToken(entries, parameter.Name, value);
                break;
            case IndexKind.Reference:
                if (value is ResourceReference reference && ReferenceParts.TryParse(reference.Reference, out var type, out var id)
                    && (branch.TargetType is null || branch.TargetType == type))
                {
                    entries.References.Add((parameter.Name, type, id));
                }
                break;
            case IndexKind.Date:
                AddDate(entries, parameter.Name, value);
                break;
            case IndexKind.String:
                AddString(entries, parameter.Name, value);
                break;
        }
    }

    private static void AddToken(IndexEntries entries, string param, Base value)
    {
        switch (value)
        {
            case Coding coding:
                entries.Tokens.Add((param, Cap(coding.System), Cap(coding.Code), Norm(coding.Display)));
                break;
            case CodeableConcept concept:
                foreach (var coding in concept.Coding)
                {
                    entries.Tokens.Add((param, Cap(coding.System), Cap(coding.Code), Norm(concept.Text ?? coding.Display)));
                }
                if (concept.Coding.Count == 0 && concept.Text is not null)
                {
                    entries.Tokens.Add((param, "", "", Norm(concept.Text)));
                }
                break;
            case Identifier identifier:
                entries.Tokens.Add((param, Cap(identifier.System), Cap(identifier.Value), Norm(identifier.Type?.Text)));
                break;
            case ContactPoint contact:
                entries.Tokens.Add((param, "", Cap(contact.Value), ""));
                break;
            case FhirBoolean boolean when boolean.Value is not null:
                entries.Tokens.Add((param, "", boolean.Value.Value ? "true" : "false", ""));
                break;
            case PrimitiveType primitive when primitive.JsonValue is not null:
                entries.Tokens.Add((param, "", Cap(primitive.ToString()), ""));
                break;
        }
    }

    private static void AddDate(IndexEntries entries, string param, Base value)
    {
        switch (value)
        {
            case FhirDateTime dateTime when FhirDates.TryParse(dateTime.Value, out var low, out var high):
                entries.Dates.Add((param, low, high));
                break;
            case Date date when FhirDates.TryParse(date.Value, out var low, out var high):
                entries.Dates.Add((param, low, high));
                break;
            case Instant { Value: { } instant }:
                entries.Dates.Add((param, instant.UtcTicks, instant.UtcTicks + TimeSpan.TicksPerMillisecond));
                break;
            case Period period:
                var start = FhirDates.TryParse(period.Start, out var startLow, out _) ? startLow : FhirDates.Min;
                var end = FhirDates.TryParse(period.End, out _, out var endHigh) ? endHigh : FhirDates.Max;
                if (period.Start is not null || period.End is not null)
                {
                    entries.Dates.Add((param, start, end));
                }
                break;
            case Timing timing:
                foreach (var moment in timing.EventElement)
                {
                    AddDate(entries, param, moment);
                }
                break;
        }
    }

    private static void AddString(IndexEntries entries, string param, Base value)
    {
        switch (value)
        {
            case HumanName name:
                foreach (var part in new[] { name.Family, name.Text }.Concat(name.Given).Concat(name.Prefix).Concat(name.Suffix))
                {
                    AddString(entries, param, part);
                }
                break;
            case Address address:
                foreach (var part in new[] { address.City, address.District, address.State, address.PostalCode, address.Country, address.Text }.Concat(address.Line))
                {
                    AddString(entries, param, part);
                }
                break;
            case PrimitiveType primitive when primitive.JsonValue is not null:
                AddString(entries, param, primitive.ToString());
                break;
        }
    }

    private static void AddString(IndexEntries entries, string param, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            entries.Strings.Add((param, Norm(value), Cap(value)));
        }
    }

    private static string Cap(string? value) =>
        value is null ? "" : value.Length > MaxIndexedLength ? value[..MaxIndexedLength] : value;

    private static string Norm(string? value) => Cap(value is null ? null : FhirStrings.Normalize(value));
}

/// <summary>Splits a literal reference (<c>Patient/1</c>, an absolute URL, a versioned one) into type and id.</summary>
public static class ReferenceParts
{
    public static bool TryParse(string? reference, out string type, out string id)
    {
        type = id = "";
        if (string.IsNullOrEmpty(reference) || reference.StartsWith('#') || reference.StartsWith("urn:", StringComparison.Ordinal))
        {
            return false;
        }
        var path = reference;
        if (path.Contains('?', StringComparison.Ordinal))
        {
            return false;
        }
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var history = Array.LastIndexOf(segments, "_history");
        if (history >= 2)
        {
            segments = segments[..history];
        }
        if (segments.Length < 2 || !ModelInfo.IsKnownResource(segments[^2]))
        {
            return false;
        }
        (type, id) = (segments[^2], segments[^1]);
        return true;
    }
}
