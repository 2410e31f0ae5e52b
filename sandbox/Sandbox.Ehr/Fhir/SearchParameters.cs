using System.Collections.Frozen;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.FhirPath;

namespace Sandbox.Ehr.Fhir;

/// <summary>The kinds of search parameter this server indexes.</summary>
public enum IndexKind
{
    Token,
    Reference,
    Date,
    String,
}

/// <summary>One FHIRPath branch of a parameter's expression, narrowed to one resource type.</summary>
/// <param name="Expression">The branch with <c>.where(resolve() is X)</c> removed (nothing here can resolve).</param>
/// <param name="TargetType">The X of the removed <c>resolve() is X</c>: only references to X count.</param>
public sealed record SearchBranch(string Expression, string? TargetType)
{
    private static readonly FhirPathCompiler Compiler = new();

    // Compiled on first use: a process that stores three resource types compiles only their expressions.
    private readonly Lazy<CompiledExpression> _compiled = new(() => Compiler.Compile(Expression));

    public CompiledExpression Compiled => _compiled.Value;
}

/// <summary>A search parameter of one resource type, as the R4 specification defines it.</summary>
public sealed record SearchParam(string ResourceType, string Name, IndexKind Kind, IReadOnlyList<SearchBranch> Branches, IReadOnlyList<string> Targets, string? Url);

/// <summary>
/// Every R4 search parameter of kind token, reference, date, string or uri, from Firely's
/// <see cref="ModelInfo.SearchParameters"/>, split per resource type. Number, quantity, composite
/// and special parameters are not indexed (the CapabilityStatement leaves them out).
/// </summary>
public static partial class SearchParameters
{
    private static readonly FrozenDictionary<string, FrozenDictionary<string, SearchParam>> ByType = Build();

    /// <summary>Parameters every resource type has; they live on the resource row, not in an index table.</summary>
    public static readonly IReadOnlySet<string> Common = new HashSet<string>(StringComparer.Ordinal) { "_id", "_lastUpdated" };

    public static IReadOnlyCollection<SearchParam> For(string resourceType) =>
        ByType.TryGetValue(resourceType, out var parameters) ? parameters.Values : [];

    public static IEnumerable<SearchParam> AllReferenceParameters() =>
        ByType.Values.SelectMany(p => p.Values).Where(p => p.Kind == IndexKind.Reference);

    public static SearchParam? Find(string resourceType, string name) =>
        ByType.TryGetValue(resourceType, out var parameters) && parameters.TryGetValue(name, out var parameter) ? parameter : null;

    private static FrozenDictionary<string, FrozenDictionary<string, SearchParam>> Build()
    {
        var result = new Dictionary<string, Dictionary<string, SearchParam>>(StringComparer.Ordinal);
        foreach (var definition in ModelInfo.SearchParameters)
        {
            if (definition.Resource is null || definition.Name is null || string.IsNullOrEmpty(definition.Expression) || !ModelInfo.IsKnownResource(definition.Resource))
            {
                continue;
            }
            IndexKind? kind = definition.Type switch
            {
                SearchParamType.Token or SearchParamType.Uri => IndexKind.Token,
                SearchParamType.Reference => IndexKind.Reference,
                SearchParamType.Date => IndexKind.Date,
                SearchParamType.String => IndexKind.String,
                _ => null,
            };
            if (kind is null)
            {
                continue;
            }
            var branches = Branches(definition.Resource, definition.Expression);
            if (branches.Count == 0)
            {
                continue;
            }
            var targets = (definition.Target ?? []).Select(t => t.ToString()).ToList();
            if (!result.TryGetValue(definition.Resource, out var parameters))
            {
                result[definition.Resource] = parameters = new Dictionary<string, SearchParam>(StringComparer.Ordinal);
            }
            parameters[definition.Name] = new SearchParam(definition.Resource, definition.Name, kind.Value, branches, targets, definition.Url);
        }
        return result.ToFrozenDictionary(p => p.Key, p => p.Value.ToFrozenDictionary(StringComparer.Ordinal), StringComparer.Ordinal);
    }

    /// <summary>
    /// The branches of a union expression that apply to <paramref name="resourceType"/>. Shared
    /// parameters (<c>patient</c>, <c>code</c>) list thirty resource types in one expression;
    /// keeping only ours makes indexing cheap.
    /// </summary>
    private static List<SearchBranch> Branches(string resourceType, string expression)
    {
        var branches = new List<SearchBranch>();
        foreach (var raw in SplitTopLevel(expression))
        {
            var branch = raw.Trim();
            var bare = branch.TrimStart('(');
            if (!bare.StartsWith(resourceType + ".", StringComparison.Ordinal) && bare != resourceType)
            {
                continue;
            }
            string? target = null;
            var match = ResolveIs().Match(branch);
            if (match.Success)
            {
                target = match.Groups["type"].Value;
                branch = ResolveIs().Replace(branch, "");
            }
            if (branch.Contains("resolve()", StringComparison.Ordinal) || branch.Contains("extension(", StringComparison.Ordinal) && branch.Contains("resolve", StringComparison.Ordinal))
            {
                continue;
            }
            branches.Add(new SearchBranch(branch, target));
        }
        return branches;
    }

    private static IEnumerable<string> SplitTopLevel(string expression)
    {
        var depth = 0;
        var start = 0;
        var inString = false;
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (c == '\'')
            {
                inString = !inString;
            }
            else if (!inString && c == '(')
            {
                depth++;
            }
            else if (!inString && c == ')')
            {
                depth--;
            }
            else if (!inString && depth == 0 && c == '|')
            {
                yield return expression[start..i];
                start = i + 1;
            }
        }
        yield return expression[start..];
    }

    [GeneratedRegex(@"\.where\(resolve\(\) is (?<type>[A-Za-z]+)\)")]
    private static partial Regex ResolveIs();
}
