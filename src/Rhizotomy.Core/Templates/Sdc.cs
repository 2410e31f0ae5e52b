using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Templates;

/// <summary>
/// The SDC 3.0 and core R4 extensions a template uses, and FHIRPath evaluation of the template's expressions
/// with Firely's engine. Everything a template computes (prefill, checks, note wording) is written with these.
/// </summary>
public static partial class Sdc
{
    public const string LaunchContext = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-launchContext";
    public const string Variable = "http://hl7.org/fhir/StructureDefinition/variable";
    public const string InitialExpression = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-initialExpression";
    public const string ItemPopulationContext = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-itemPopulationContext";
    /// <summary>On a group: the resource each of its instances is extracted into (definition-based extraction, see <see cref="Extraction"/>).</summary>
    public const string ItemExtractionContext = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-itemExtractionContext";
    /// <summary>On a group with an extraction context: an element of the extracted resource set from a fixed value or an expression, not an answer.</summary>
    public const string DefinitionExtractValue = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-definitionExtractValue";
    /// <summary>Core R4 extension: key, severity, expression, human, location (repeats), requirements.</summary>
    public const string Constraint = "http://hl7.org/fhir/StructureDefinition/questionnaire-constraint";

    public const string FhirPathLanguage = "text/fhirpath";
    public const string FhirQueryLanguage = "application/x-fhir-query";

    /// <summary>Ours: on an item, how its answer reads in the note (<c>{answer}</c>, <c>{label}</c> are replaced).</summary>
    public const string NotePhrase = Known.CanonicalBase + "/StructureDefinition/note-phrase";
    /// <summary>Ours: on an item, the LOINC code of the C-CDA Operative Note section its answer is written in.</summary>
    public const string NoteSection = Known.CanonicalBase + "/StructureDefinition/note-section";

    /// <summary>The name under which the chart's case evidence (a Parameters resource) is visible to expressions: <c>%evidence</c>.</summary>
    public const string EvidenceVariable = "evidence";

    /// <summary>The project CodeSystem (<c>%codeSystem</c>), visible to extraction expressions: a Procedure's code is looked up there.</summary>
    public const string CodeSystemVariable = "codeSystem";

    private static readonly FhirPathCompiler Compiler = new();
    private static readonly ConcurrentDictionary<string, CompiledExpression> Compiled = new(StringComparer.Ordinal);
    private const int MaxCached = 4096;

    /// <summary>Compiles (once) a FHIRPath expression; throws when it is not valid FHIRPath.</summary>
    public static CompiledExpression Compile(string expression)
    {
        if (Compiled.TryGetValue(expression, out var compiled))
        {
            return compiled;
        }
        compiled = Compiler.Compile(expression);
        if (Compiled.Count < MaxCached)
        {
            Compiled.TryAdd(expression, compiled);
        }
        return compiled;
    }

    /// <summary>Why an expression does not compile; null when it does.</summary>
    public static string? CompileProblem(string? expression)
    {
        if (string.IsNullOrWhiteSpace(expression))
        {
            return "the expression is empty";
        }
        try
        {
            Compile(expression);
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return "it is not valid FHIRPath (" + FirstLine(e.Message) + ")";
        }
    }

    /// <summary>Evaluates <paramref name="expression"/> on <paramref name="focus"/> with named variables (<c>%name</c>).</summary>
    public static IReadOnlyList<Base> Evaluate(Base? focus, string expression, IReadOnlyDictionary<string, IReadOnlyList<Base>> variables) =>
        [.. Run(focus, expression, variables).Select(n => n.Poco).OfType<Base>()];

    /// <summary>As <see cref="Evaluate"/>, with the resource each value sits in (null for computed values).</summary>
    public static IReadOnlyList<(Base Value, Resource? Resource)> EvaluateWithResources(Base? focus, string expression, IReadOnlyDictionary<string, IReadOnlyList<Base>> variables)
    {
        var result = new List<(Base, Resource?)>();
        foreach (var node in Run(focus, expression, variables))
        {
            if (node.Poco is not Base value)
            {
                continue;
            }
            PocoNodeOrList top = node;
            while (top.Parent is { } parent)
            {
                top = parent;
            }
            result.Add((value, (top as PocoNode)?.Poco as Resource));
        }
        return result;
    }

    // The compiled expression on the focus (an empty Parameters when none), each variable visible as %name.
    private static IEnumerable<PocoNode> Run(Base? focus, string expression, IReadOnlyDictionary<string, IReadOnlyList<Base>> variables)
    {
        var root = (focus ?? new Parameters()).ToPocoNode(ModelInfo.ModelInspector);
        var context = new FhirEvaluationContext();
        foreach (var (name, values) in variables)
        {
            context.Environment[name] = [.. values.Select(v => v.ToPocoNode(ModelInfo.ModelInspector))];
        }
        return Compile(expression)([root], context);
    }

    /// <summary>True when the expression gives the single boolean true; false for false or empty, as <c>questionnaire-constraint</c> reads it.</summary>
    public static bool? Holds(Base? focus, string expression, IReadOnlyDictionary<string, IReadOnlyList<Base>> variables)
    {
        var result = Evaluate(focus, expression, variables);
        return result.Count == 0 ? null : result is [PrimitiveType { JsonValue: bool b }] ? b : true;
    }

    /// <summary>The <c>valueExpression</c> of an extension, or null.</summary>
    public static Expression? ExpressionOf(Extension? extension) => extension?.Value as Expression;

    /// <summary>The linkIds an expression names literally (<c>linkId = 'x'</c>).</summary>
    public static IEnumerable<string> LinkIdsIn(string? expression) =>
        expression is null ? [] : LinkIdLiteral().Matches(expression).Select(m => m.Groups[1].Value);

    [GeneratedRegex(@"linkId\s*=\s*'((?:[^'\\]|\\.)*)'", RegexOptions.None, 100)]
    private static partial Regex LinkIdLiteral();

    private static string FirstLine(string text)
    {
        var line = text.Split('\n')[0].Trim();
        return line.Length > 160 ? line[..160] : line;
    }
}
