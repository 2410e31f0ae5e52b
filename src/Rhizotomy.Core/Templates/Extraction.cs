using System.Collections;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Checks;
using Q = Hl7.Fhir.Model.Questionnaire;
using R = Hl7.Fhir.Model.QuestionnaireResponse;

namespace Rhizotomy.Core.Templates;

/// <summary>A resource extracted from a response, with the group instance it came from.</summary>
internal sealed record ExtractedResource(ResponseNode Group, Resource Resource);

/// <summary>
/// SDC definition-based extraction, generic: nothing here names a template's linkIds or a resource's elements.
/// <list type="bullet">
/// <item>A group with <c>sdc-questionnaire-itemExtractionContext</c> gives one new resource per enabled instance. The extension's
/// <c>valueCode</c> names the resource type; a <c>valueExpression</c> (FHIRPath on the group's response item) gives the type
/// name, or nothing when this instance is not to be extracted (a nerve-side group whose "treated" box is not ticked).</item>
/// <item><c>sdc-questionnaire-definitionExtractValue</c> on that group (sub-extensions <c>definition</c>, and <c>fixed-value</c>
/// or <c>expression</c>) sets an element without an answer: the expression runs on the group's response item, with
/// <c>%qitem</c> (the template item), <c>%context</c> (the response item) and the caller's variables. A CodeSystem concept
/// it returns becomes a Coding of that CodeSystem.</item>
/// <item>An item whose <c>definition</c> is <c>&lt;StructureDefinition&gt;#Type.path</c> puts its answers into that element
/// (a Coding into a CodeableConcept, text into a CodeableConcept's text, a Reference's display or an Annotation);
/// a group with a definition of a backbone element (<c>Procedure.performer</c>) adds one per instance, its items filling it.
/// A path through a repeating element fills its last instance (<c>Procedure.complication.text</c>).</item>
/// <item>An item with a definition outside any extraction context (the complications, the operating team) applies to every
/// resource of its type extracted from the response: those facts hold for each nerve and side.</item>
/// </list>
/// Answers of disabled items are not extracted.
/// </summary>
internal static class Extraction
{
    /// <summary>Every resource <paramref name="tree"/> extracts, in template order.</summary>
    public static IReadOnlyList<ExtractedResource> Run(ResponseTree tree, IReadOnlyDictionary<string, IReadOnlyList<Base>> variables)
    {
        var (_, pairs) = tree.Effective();
        var effective = pairs.ToDictionary(p => p.Node, p => p.Item);
        var extracted = new List<ExtractedResource>();
        var shared = new List<(ResponseNode Node, string Path)>();

        void Walk(IEnumerable<ResponseNode> nodes, Base? target, string? targetPath)
        {
            foreach (var node in nodes.Where(n => n.Enabled && effective.ContainsKey(n)))
            {
                var item = effective[node];
                var (currentTarget, currentPath) = (target, targetPath);
                if (ContextType(node.Definition, item, variables) is { } type)
                {
                    var resource = (Resource)Activator.CreateInstance(ModelInfo.GetTypeForFhirType(type)
                        ?? throw new InvalidOperationException($"'{type}' is not a FHIR resource type."))!;
                    extracted.Add(new ExtractedResource(node, resource));
                    (currentTarget, currentPath) = (resource, type);
                }
                else if (node.Definition.GetExtensions(Sdc.ItemExtractionContext).Any())
                {
                    continue;
                }
                if (currentTarget is not null)
                {
                    ExtractValues(node.Definition, item, currentTarget, currentPath!, variables);
                }
                if (PathOf(node.Definition.Definition) is { } path)
                {
                    if (currentTarget is null || !path.StartsWith(currentPath + ".", StringComparison.Ordinal))
                    {
                        shared.Add((node, path));
                        continue;
                    }
                    if (node.Definition.Type == Q.QuestionnaireItemType.Group)
                    {
                        Walk(node.Children, Navigate(currentTarget, Relative(path, currentPath!), create: true, last: false), path);
                        continue;
                    }
                    Assign(currentTarget, Relative(path, currentPath!), node.Answers);
                }
                Walk(node.Children, currentTarget, currentPath);
            }
        }

        Walk(tree.Roots, null, null);
        foreach (var (resource, type) in extracted.Select(e => (e.Resource, e.Resource.TypeName)))
        {
            foreach (var (node, path) in shared.Where(s => s.Path.StartsWith(type + ".", StringComparison.Ordinal)))
            {
                if (node.Definition.Type == Q.QuestionnaireItemType.Group)
                {
                    var element = Navigate(resource, Relative(path, type), create: true, last: false);
                    foreach (var child in ResponseTree.Descendants(node.Children).Where(c => c.Enabled && PathOf(c.Definition.Definition) is { } p && p.StartsWith(path + ".", StringComparison.Ordinal)))
                    {
                        Assign(element!, Relative(PathOf(child.Definition.Definition)!, path), child.Answers);
                    }
                }
                else
                {
                    Assign(resource, Relative(path, type), node.Answers);
                }
            }
        }
        return extracted;
    }

    /// <summary>The element path of an item's <c>definition</c> (<c>Procedure.performer.actor</c>), or null when it has none.</summary>
    public static string? PathOf(string? definition)
    {
        var hash = definition?.IndexOf('#') ?? -1;
        return hash < 0 || hash == definition!.Length - 1 ? null : definition[(hash + 1)..];
    }

    /// <summary>Why an element path names no element of a FHIR type; null when it does.</summary>
    public static string? PathProblem(string path)
    {
        var segments = path.Split('.');
        var type = ModelInfo.GetTypeForFhirType(segments[0]);
        if (type is null)
        {
            return $"'{segments[0]}' is not a FHIR resource type";
        }
        foreach (var segment in segments.Skip(1))
        {
            var property = Property(type!, segment);
            if (property is null)
            {
                return $"{type!.Name} has no element '{segment}'";
            }
            type = ItemType(property.PropertyType);
        }
        return null;
    }

    private static string? ContextType(Q.ItemComponent definition, R.ItemComponent item, IReadOnlyDictionary<string, IReadOnlyList<Base>> variables)
    {
        var extension = definition.GetExtension(Sdc.ItemExtractionContext);
        return extension?.Value switch
        {
            Code { Value: { } type } => type,
            Expression { Expression_: { } expression } => Sdc.Evaluate(item, expression, With(variables, definition, item))
                .OfType<PrimitiveType>().Select(p => p.ToString()).FirstOrDefault(t => t is not null && ModelInfo.IsKnownResource(t)),
            _ => null,
        };
    }

    private static void ExtractValues(Q.ItemComponent definition, R.ItemComponent item, Base target, string targetPath, IReadOnlyDictionary<string, IReadOnlyList<Base>> variables)
    {
        foreach (var extension in definition.GetExtensions(Sdc.DefinitionExtractValue))
        {
            if (PathOf(extension.GetExtensionValue<Canonical>("definition")?.Value) is not { } path || !path.StartsWith(targetPath + ".", StringComparison.Ordinal))
            {
                continue;
            }
            IEnumerable<Base> values = extension.GetExtension("fixed-value")?.Value is { } fixedValue ? [fixedValue]
                : extension.GetExtensionValue<Expression>("expression")?.Expression_ is { } expression
                    ? Sdc.EvaluateWithResources(item, expression, With(variables, definition, item)).Select(v => AsData(v.Value, v.Resource))
                    : [];
            Assign(target, Relative(path, targetPath), values);
        }
    }

    // A concept of a CodeSystem is said as a Coding of it.
    private static Base AsData(Base value, Resource? container) =>
        value is CodeSystem.ConceptDefinitionComponent concept && container is CodeSystem codeSystem
            ? new Coding(codeSystem.Url, concept.Code, concept.Display)
            : value;

    private static Dictionary<string, IReadOnlyList<Base>> With(IReadOnlyDictionary<string, IReadOnlyList<Base>> variables, Q.ItemComponent definition, R.ItemComponent item) =>
        new(variables) { ["qitem"] = [definition], ["context"] = [item] };

    private static string Relative(string path, string parent) => path[(parent.Length + 1)..];

    /// <summary>Puts <paramref name="values"/> into the element at <paramref name="path"/> (relative to <paramref name="target"/>).</summary>
    private static void Assign(Base target, string path, IEnumerable<Base> values)
    {
        var list = values.ToList();
        if (list.Count == 0)
        {
            return;
        }
        var cut = path.LastIndexOf('.');
        var owner = cut < 0 ? target : Navigate(target, path[..cut], create: true, last: true);
        var property = owner is null ? null : Property(owner.GetType(), path[(cut + 1)..]);
        if (owner is null || property is null)
        {
            return;
        }
        var type = ItemType(property.PropertyType);
        var converted = list.Select(v => Convert(v, type)).OfType<object>().ToList();
        if (property.GetValue(owner) is IList existing && IsList(property.PropertyType))
        {
            foreach (var value in converted)
            {
                existing.Add(value);
            }
        }
        else if (converted.Count > 0)
        {
            property.SetValue(owner, converted[0]);
        }
    }

    /// <summary>The element at <paramref name="path"/>: an existing one (the last of a list when <paramref name="last"/>), else a new one.</summary>
    private static Base? Navigate(Base target, string path, bool create, bool last)
    {
        var current = target;
        foreach (var segment in path.Split('.'))
        {
            var property = Property(current.GetType(), segment);
            if (property is null)
            {
                return null;
            }
            var type = ItemType(property.PropertyType);
            if (property.GetValue(current) is IList list && IsList(property.PropertyType))
            {
                if (last && list.Count > 0)
                {
                    current = (Base)list[^1]!;
                    continue;
                }
                if (!create) return null;
                var element = (Base)Activator.CreateInstance(type)!;
                list.Add(element);
                current = element;
            }
            else
            {
                if (property.GetValue(current) is not Base existing)
                {
                    if (!create) return null;
                    existing = (Base)Activator.CreateInstance(type)!;
                    property.SetValue(current, existing);
                }
                current = existing;
            }
        }
        return current;
    }

    private static System.Reflection.PropertyInfo? Property(Type type, string element) =>
        ModelInfo.ModelInspector.FindOrImportClassMapping(type)?.FindMappedElementByName(element)?.NativeProperty;

    private static bool IsList(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>);

    private static Type ItemType(Type type) => IsList(type) ? type.GetGenericArguments()[0] : type;

    /// <summary>An answer as a value of the element's type, or null when it cannot be one.</summary>
    private static object? Convert(Base value, Type type)
    {
        if (type.IsInstanceOfType(value))
        {
            return value.DeepCopy();
        }
        var text = (value as PrimitiveType)?.ToString();
        return (value, type) switch
        {
            (Coding c, _) when type == typeof(CodeableConcept) => new CodeableConcept { Coding = [(Coding)c.DeepCopy()] },
            (_, _) when text is null => null,
            (_, _) when type == typeof(CodeableConcept) => new CodeableConcept { Text = text },
            (_, _) when type == typeof(ResourceReference) => new ResourceReference { Display = text },
            (_, _) when type == typeof(Annotation) => new Annotation { Text = new Markdown(text) },
            (_, _) when type == typeof(Markdown) => new Markdown(text),
            (_, _) when type == typeof(FhirString) => new FhirString(text),
            _ => null,
        };
    }
}
