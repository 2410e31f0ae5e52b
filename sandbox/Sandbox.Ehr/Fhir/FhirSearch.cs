using System.Globalization;
using System.Text;
using Hl7.Fhir.Model;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace Sandbox.Ehr.Fhir;

public sealed partial class FhirEngine
{
    /// <summary>The continuation token in paging links: the offset, opaque to clients.</summary>
    public const string CursorParameter = "_cursor";

    public FhirResult Search(DbSession session, CallContext context, string type, IReadOnlyList<KeyValuePair<string, string>> query)
    {
        if (Precheck(context, type, ScopePermissions.Search, out var decision) is { } refused)
        {
            return refused;
        }
        var warnings = new List<string>();
        var criteria = new List<SearchCriterion>();
        var includes = new List<(string Type, string Param, string? Target)>();
        var revIncludes = new List<(string Type, string Param)>();
        var sorts = new List<string>();
        var count = options.DefaultCount;
        var offset = 0;
        var summaryCount = false;
        string[]? elements = null;
        var kept = new List<KeyValuePair<string, string>>();

        foreach (var (key, value) in query)
        {
            var colon = key.IndexOf(':', StringComparison.Ordinal);
            var name = colon < 0 ? key : key[..colon];
            var modifier = colon < 0 ? null : key[(colon + 1)..];
            if (name != CursorParameter)
            {
                kept.Add(new(key, value));
            }
            switch (name)
            {
                case "_count":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out count))
                    {
                        return BadSearch($"_count '{value}' is not a non-negative number.");
                    }
                    count = Math.Min(count, options.MaxCount);
                    continue;
                case CursorParameter:
                    if (!TryReadCursor(value, out offset))
                    {
                        return BadSearch("The paging token is not valid; start the search again.");
                    }
                    continue;
                case "_sort":
                    sorts.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    continue;
                case "_include":
                {
                    var parts = value.Split(':');
                    if (parts.Length is < 2 or > 3 || parts[0] != type || SearchParameters.Find(type, parts[1]) is not { Kind: IndexKind.Reference })
                    {
                        if (!Lenient(context, warnings, $"_include '{value}' is not a reference parameter of {type}."))
                        {
                            return BadSearch($"_include '{value}' is not a reference parameter of {type}.");
                        }
                        continue;
                    }
                    includes.Add((parts[0], parts[1], parts.Length == 3 ? parts[2] : null));
                    continue;
                }
                case "_revinclude":
                {
                    var parts = value.Split(':');
                    if (parts.Length != 2 || !IsKnownType(parts[0]) || SearchParameters.Find(parts[0], parts[1]) is not { Kind: IndexKind.Reference })
                    {
                        if (!Lenient(context, warnings, $"_revinclude '{value}' is not a reference parameter."))
                        {
                            return BadSearch($"_revinclude '{value}' is not a reference parameter.");
                        }
                        continue;
                    }
                    revIncludes.Add((parts[0], parts[1]));
                    continue;
                }
                case "_summary":
                    if (value == "count")
                    {
                        summaryCount = true;
                    }
                    else if (value != "false" && !Lenient(context, warnings, $"_summary={value} is not supported (only count and false)."))
                    {
                        return BadSearch($"_summary={value} is not supported (only count and false).");
                    }
                    continue;
                case "_elements":
                    elements = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    continue;
                case "_format" or "_pretty" or "_total":
                    continue;
            }
            if (SearchParameters.Common.Contains(name) || SearchParameters.Find(type, name) is not null)
            {
                criteria.Add(new SearchCriterion(name, modifier, value));
            }
            else if (!Lenient(context, warnings, $"Unknown search parameter '{key}' for {type}: ignored."))
            {
                return BadSearch($"Unknown search parameter '{key}' for {type}. Send 'Prefer: handling=lenient' to have unknown parameters ignored.");
            }
        }

        var where = new SqlWhere();
        string orderBy;
        try
        {
            where.AddCriteria(type, criteria);
            if (decision.Alternatives is not null)
            {
                where.And(AccessFilter(where, type, decision.Alternatives));
            }
            orderBy = OrderBy(where, type, sorts);
        }
        catch (SearchException e)
        {
            return BadSearch(e.Message);
        }

        var total = Convert.ToInt32(session.Scalar($"SELECT COUNT(*) FROM resource r WHERE {where.Text}", [.. where.Parameters]), CultureInfo.InvariantCulture);
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Total = total };
        var selfQuery = kept.Select(p => new KeyValuePair<string, string>(p.Key, p.Value)).ToList();
        bundle.Link.Add(Link("self", context, type, selfQuery, summaryCount ? null : offset));
        if (summaryCount)
        {
            AddWarnings(bundle, warnings);
            return new FhirResult { Status = 200, Resource = bundle };
        }

        var rows = new List<StoredResource>();
        if (count > 0)
        {
            using var command = session.Command(
                $"SELECT {FhirRepository.Columns} FROM resource r WHERE {where.Text} ORDER BY {orderBy} LIMIT {where.Param(count)} OFFSET {where.Param(offset)}",
                [.. where.Parameters]);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add(FhirRepository.ReadRow(reader));
            }
        }
        if (count > 0 && offset + count < total)
        {
            bundle.Link.Add(Link("next", context, type, selfQuery, offset + count));
        }
        if (count > 0 && offset > 0)
        {
            bundle.Link.Add(Link("previous", context, type, selfQuery, Math.Max(0, offset - count)));
        }
        foreach (var row in rows)
        {
            bundle.Entry.Add(Entry(context, row, Bundle.SearchEntryMode.Match, elements));
        }
        AddIncludes(session, context, bundle, rows, includes, revIncludes, type);
        AddWarnings(bundle, warnings);
        return new FhirResult { Status = 200, Resource = bundle };
    }

    private void AddIncludes(DbSession session, CallContext context, Bundle bundle, List<StoredResource> rows, List<(string Type, string Param, string? Target)> includes, List<(string Type, string Param)> revIncludes, string type)
    {
        if (rows.Count == 0 || includes.Count + revIncludes.Count == 0)
        {
            return;
        }
        var seen = new HashSet<long>(rows.Select(r => r.Rid));
        var rids = string.Join(",", rows.Select(r => r.Rid.ToString(CultureInfo.InvariantCulture)));
        var found = new List<long>();
        foreach (var include in includes)
        {
            using var command = session.Command(
                $"SELECT DISTINCT t.rid FROM idx_ref i JOIN resource t ON t.type = i.target_type AND t.id = i.target_id AND t.deleted = 0 WHERE i.rid IN ({rids}) AND i.param = @param"
                + (include.Target is null ? "" : " AND i.target_type = @target"),
                ("@param", include.Param), ("@target", include.Target));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                found.Add(reader.GetInt64(0));
            }
        }
        foreach (var revInclude in revIncludes)
        {
            var ids = string.Join(",", rows.Select((_, i) => "@id" + i.ToString(CultureInfo.InvariantCulture)));
            var parameters = rows.Select((r, i) => ("@id" + i.ToString(CultureInfo.InvariantCulture), (object?)r.Id)).ToList();
            parameters.Add(("@type", revInclude.Type));
            parameters.Add(("@param", revInclude.Param));
            parameters.Add(("@target", type));
            using var command = session.Command(
                $"SELECT DISTINCT i.rid FROM idx_ref i WHERE i.type = @type AND i.param = @param AND i.target_type = @target AND i.target_id IN ({ids})",
                [.. parameters]);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                found.Add(reader.GetInt64(0));
            }
        }
        foreach (var rid in found)
        {
            if (!seen.Add(rid) || repository.ByRid(session, rid) is not { Deleted: false } row || !AllowedToRead(session, context, row))
            {
                // Included resources obey the same scopes: what the token cannot read is left out.
                continue;
            }
            bundle.Entry.Add(Entry(context, row, Bundle.SearchEntryMode.Include, null));
        }
    }

    private static string OrderBy(SqlWhere where, string type, List<string> sorts)
    {
        var parts = new List<string>();
        foreach (var sort in sorts)
        {
            var descending = sort.StartsWith('-');
            var name = descending ? sort[1..] : sort;
            var direction = descending ? "DESC" : "ASC";
            var parameter = SearchParameters.Find(type, name);
            var expression = name switch
            {
                "_lastUpdated" => "r.last_updated",
                "_id" => "r.id",
                _ when parameter is { Kind: IndexKind.Date } => descending
                    ? $"(SELECT MAX(high) FROM idx_date d WHERE d.rid = r.rid AND d.param = {where.Param(name)})"
                    : $"(SELECT MIN(low) FROM idx_date d WHERE d.rid = r.rid AND d.param = {where.Param(name)})",
                _ when parameter is { Kind: IndexKind.String } => $"(SELECT MIN(norm) FROM idx_string s WHERE s.rid = r.rid AND s.param = {where.Param(name)})",
                _ => throw new SearchException($"_sort on '{name}' is not supported (date and string parameters, _lastUpdated, _id)."),
            };
            parts.Add($"{expression} {direction}");
        }
        parts.Add("r.rid ASC");
        return string.Join(", ", parts);
    }

    private static Bundle.EntryComponent Entry(CallContext context, StoredResource row, Bundle.SearchEntryMode mode, string[]? elements)
    {
        var resource = FhirRepository.ToResource(row);
        if (elements is not null)
        {
            resource = Subset(resource, elements);
        }
        return new Bundle.EntryComponent
        {
            FullUrl = $"{context.BaseUrl}/{row.Type}/{row.Id}",
            Resource = resource,
            Search = new Bundle.SearchComponent { Mode = mode },
        };
    }

    /// <summary><c>_elements</c>: keeps the named top-level elements (and the mandatory ones) and marks the copy SUBSETTED.</summary>
    private static Resource Subset(Resource resource, string[] elements)
    {
        var copy = (Resource)Activator.CreateInstance(resource.GetType())!;
        foreach (var (name, value) in resource.EnumerateElements())
        {
            if (name is "id" or "meta" or "resourceType" || elements.Contains(name, StringComparer.Ordinal) || name == "status")
            {
                copy.SetValue(name, value);
            }
        }
        copy.Meta ??= new Meta();
        copy.Meta.Tag.Add(new Coding("http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "SUBSETTED"));
        return copy;
    }

    private static bool Lenient(CallContext context, List<string> warnings, string message)
    {
        if (!context.Lenient)
        {
            return false;
        }
        warnings.Add(message);
        return true;
    }

    private static void AddWarnings(Bundle bundle, List<string> warnings)
    {
        if (warnings.Count == 0)
        {
            return;
        }
        var outcome = new OperationOutcome();
        foreach (var warning in warnings)
        {
            outcome.Issue.Add(new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Warning, Code = IssueType.NotSupported, Diagnostics = warning });
        }
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            FullUrl = "urn:uuid:" + Guid.NewGuid().ToString("D"),
            Resource = outcome,
            Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Outcome },
        });
    }

    private static Bundle.LinkComponent Link(string relation, CallContext context, string type, List<KeyValuePair<string, string>> query, int? offset)
    {
        var builder = new StringBuilder($"{context.BaseUrl}/{type}");
        var separator = '?';
        foreach (var (key, value) in query)
        {
            builder.Append(separator).Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }
        if (offset is > 0)
        {
            builder.Append(separator).Append(CursorParameter).Append('=').Append(WriteCursor(offset.Value));
        }
        return new Bundle.LinkComponent { Relation = relation, Url = builder.ToString() };
    }

    private static string WriteCursor(int offset) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes("o:" + offset.ToString(CultureInfo.InvariantCulture))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryReadCursor(string value, out int offset)
    {
        offset = 0;
        try
        {
            var base64 = value.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            return text.StartsWith("o:", StringComparison.Ordinal) && int.TryParse(text[2..], NumberStyles.None, CultureInfo.InvariantCulture, out offset);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static FhirResult BadSearch(string message) => FhirResult.Error(400, IssueType.Invalid, message);
}
