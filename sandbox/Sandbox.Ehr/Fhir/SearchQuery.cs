using System.Globalization;
using System.Text;

namespace Sandbox.Ehr.Fhir;

/// <summary>A search parameter as sent: <c>name:modifier=value</c>.</summary>
public sealed record SearchCriterion(string Name, string? Modifier, string Value);

/// <summary>Raised for a search the server cannot run; the API answers 400 with its message.</summary>
public sealed class SearchException(string message) : Exception(message);

/// <summary>
/// Builds parameterised SQL over the index tables (never string-concatenated values). The query
/// is driven by one index lookup and the other criteria are probed per row, so the cost follows
/// the matches, not the size of the tables.
/// </summary>
public sealed class SqlWhere
{
    private readonly StringBuilder _sql = new();
    private int _next;

    public List<(string Name, object? Value)> Parameters { get; } = [];

    public string Text => _sql.Length == 0 ? "1" : _sql.ToString();

    public string Param(object? value)
    {
        var name = "@p" + _next++.ToString(CultureInfo.InvariantCulture);
        Parameters.Add((name, value));
        return name;
    }

    public void And(string condition)
    {
        if (_sql.Length > 0)
        {
            _sql.Append(" AND ");
        }
        _sql.Append('(').Append(condition).Append(')');
    }

    /// <summary>
    /// Adds the type condition and every criterion. One selective criterion (a reference such as
    /// <c>patient</c> if there is one) drives the query through its index; the others are probed
    /// per candidate row (<c>EXISTS ... WHERE rid = r.rid</c>), so a broad criterion such as
    /// <c>clinical-status=active</c> never materialises every patient's rows.
    /// </summary>
    public void AddCriteria(string resourceType, IReadOnlyList<SearchCriterion> criteria)
    {
        var byId = criteria.Any(c => c.Name == "_id" && c.Modifier is null);
        var driver = byId ? null
            : criteria.FirstOrDefault(c => Drives(resourceType, c, IndexKind.Reference))
              ?? criteria.FirstOrDefault(c => Drives(resourceType, c, null));
        // "+r.type" keeps SQLite from walking every row of the type when an index lookup can drive.
        And((driver is null ? "r.type = " : "+r.type = ") + Param(resourceType));
        And("r.deleted = 0");
        foreach (var criterion in criteria)
        {
            And(Criterion(resourceType, criterion, ReferenceEquals(criterion, driver)));
        }
    }

    private static bool Drives(string resourceType, SearchCriterion criterion, IndexKind? kind) =>
        criterion.Modifier is not ("not" or "missing")
        && SearchParameters.Find(resourceType, criterion.Name) is { } parameter
        && (kind is null || parameter.Kind == kind);

    /// <summary>The condition (on alias <c>r</c>) for one criterion of <paramref name="resourceType"/>.</summary>
    /// <param name="driver">Whether this criterion's index lookup drives the query (else it is probed per row).</param>
    public string Criterion(string resourceType, SearchCriterion criterion, bool driver = false)
    {
        var values = SplitValues(criterion.Value);
        if (values.Count == 0 || values.All(v => v.Length == 0))
        {
            throw new SearchException($"Search parameter '{criterion.Name}' has no value.");
        }
        if (criterion.Name == "_id")
        {
            RequireModifier(criterion, (string?)null, "not");
            var list = string.Join(",", values.Select(v => Param(v)));
            return criterion.Modifier == "not" ? $"r.id NOT IN ({list})" : $"r.id IN ({list})";
        }
        if (criterion.Name == "_lastUpdated")
        {
            RequireModifier(criterion, (string?)null);
            return Or(values.Select(v => DateCondition(v, "r.last_updated", $"(r.last_updated + {TimeSpan.TicksPerMillisecond})")));
        }
        var parameter = SearchParameters.Find(resourceType, criterion.Name)
            ?? throw new SearchException($"Unknown search parameter '{criterion.Name}' for {resourceType}.");
        var table = parameter.Kind switch
        {
            IndexKind.Token => "idx_token",
            IndexKind.Reference => "idx_ref",
            IndexKind.Date => "idx_date",
            _ => "idx_string",
        };
        var lookup = driver
            ? $"SELECT rid FROM {table} WHERE type = {Param(resourceType)} AND param = {Param(parameter.Name)}"
            : $"SELECT 1 FROM {table} WHERE rid = r.rid AND param = {Param(parameter.Name)}";
        string Matches(string condition) => driver ? $"r.rid IN ({lookup} AND ({condition}))" : $"EXISTS ({lookup} AND ({condition}))";
        string Excludes(string condition) => driver ? $"r.rid NOT IN ({lookup} AND ({condition}))" : $"NOT EXISTS ({lookup} AND ({condition}))";
        if (criterion.Modifier == "missing")
        {
            var missing = values[0] switch
            {
                "true" => true,
                "false" => false,
                _ => throw new SearchException(":missing takes true or false."),
            };
            return missing ? Excludes("1") : Matches("1");
        }
        switch (parameter.Kind)
        {
            case IndexKind.Token:
            {
                RequireModifier(criterion, (string?)null, "not", "text");
                var condition = Or(values.Select(v => criterion.Modifier == "text" ? $"text LIKE {Param(Like(FhirStrings.Normalize(v), contains: false))} ESCAPE '\\'" : TokenCondition(v)));
                return criterion.Modifier == "not" ? Excludes(condition) : Matches(condition);
            }
            case IndexKind.Reference:
            {
                string? typeModifier = null;
                if (criterion.Modifier is not null)
                {
                    if (!Hl7.Fhir.Model.ModelInfo.IsKnownResource(criterion.Modifier))
                    {
                        throw new SearchException($"Modifier ':{criterion.Modifier}' is not supported on reference parameter '{criterion.Name}'.");
                    }
                    typeModifier = criterion.Modifier;
                }
                return Matches(Or(values.Select(v => ReferenceCondition(v, typeModifier, parameter))));
            }
            case IndexKind.Date:
                RequireModifier(criterion, (string?)null);
                return Matches(Or(values.Select(v => DateCondition(v, "low", "high"))));
            default:
            {
                RequireModifier(criterion, (string?)null, "exact", "contains");
                var condition = Or(values.Select(v => criterion.Modifier switch
                {
                    "exact" => $"exact = {Param(v)}",
                    "contains" => $"norm LIKE {Param(Like(FhirStrings.Normalize(v), contains: true))} ESCAPE '\\'",
                    _ => $"norm LIKE {Param(Like(FhirStrings.Normalize(v), contains: false))} ESCAPE '\\'",
                }));
                return Matches(condition);
            }
        }
    }

    private string TokenCondition(string value)
    {
        var bar = IndexOfUnescaped(value, '|');
        if (bar < 0)
        {
            return $"code = {Param(Unescape(value))}";
        }
        var system = Unescape(value[..bar]);
        var code = Unescape(value[(bar + 1)..]);
        if (code.Length == 0)
        {
            return $"system = {Param(system)}";
        }
        return $"system = {Param(system)} AND code = {Param(code)}";
    }

    private string ReferenceCondition(string value, string? typeModifier, SearchParam parameter)
    {
        var reference = Unescape(value);
        if (ReferenceParts.TryParse(reference, out var type, out var id))
        {
            if (typeModifier is not null && typeModifier != type)
            {
                throw new SearchException($"Reference '{reference}' contradicts the modifier ':{typeModifier}'.");
            }
            return $"target_type = {Param(type)} AND target_id = {Param(id)}";
        }
        if (reference.Contains('/', StringComparison.Ordinal))
        {
            throw new SearchException($"'{reference}' is not a reference this server can search by (use Type/id or id).");
        }
        var onlyType = typeModifier ?? (parameter.Targets.Count == 1 ? parameter.Targets[0] : null);
        return onlyType is null
            ? $"target_id = {Param(reference)}"
            : $"target_type = {Param(onlyType)} AND target_id = {Param(reference)}";
    }

    /// <summary>Range semantics of the R4 date prefixes over half-open ranges [low, high).</summary>
    private string DateCondition(string value, string low, string high)
    {
        var prefix = "eq";
        var text = value;
        if (value.Length > 2 && char.IsLetter(value[0]) && char.IsLetter(value[1]))
        {
            prefix = value[..2];
            text = value[2..];
        }
        if (!FhirDates.TryParse(text, out var searchLow, out var searchHigh))
        {
            throw new SearchException($"'{value}' is not a FHIR date (yyyy, yyyy-mm, yyyy-mm-dd or a dateTime), optionally with a prefix.");
        }
        var pl = Param(searchLow);
        var ph = Param(searchHigh);
        return prefix switch
        {
            "eq" => $"{low} >= {pl} AND {high} <= {ph}",
            "ne" => $"{low} < {pl} OR {high} > {ph}",
            "gt" => $"{high} > {ph}",
            "lt" => $"{low} < {pl}",
            "ge" => $"{high} > {pl}",
            "le" => $"{low} < {ph}",
            "sa" => $"{low} >= {ph}",
            "eb" => $"{high} <= {pl}",
            _ => throw new SearchException($"Unknown date prefix '{prefix}' (eq, ne, lt, gt, le, ge, sa, eb)."),
        };
    }

    private static string Or(IEnumerable<string> conditions) => "((" + string.Join(") OR (", conditions) + "))";

    private static void RequireModifier(SearchCriterion criterion, params string?[] allowed)
    {
        if (!allowed.Contains(criterion.Modifier))
        {
            throw new SearchException($"Modifier ':{criterion.Modifier}' is not supported on search parameter '{criterion.Name}'.");
        }
    }

    private static string Like(string value, bool contains)
    {
        var escaped = value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
        return (contains ? "%" : "") + escaped + "%";
    }

    /// <summary>Splits on commas not escaped with a backslash (a comma means OR).</summary>
    public static List<string> SplitValues(string value)
    {
        var values = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                current.Append(value[i]).Append(value[i + 1]);
                i++;
            }
            else if (value[i] == ',')
            {
                values.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(value[i]);
            }
        }
        values.Add(current.ToString());
        return values;
    }

    private static int IndexOfUnescaped(string value, char c)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\')
            {
                i++;
            }
            else if (value[i] == c)
            {
                return i;
            }
        }
        return -1;
    }

    private static string Unescape(string value) =>
        value.Replace("\\,", ",", StringComparison.Ordinal).Replace("\\|", "|", StringComparison.Ordinal).Replace("\\$", "$", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
}
