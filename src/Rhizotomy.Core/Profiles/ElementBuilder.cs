using Hl7.Fhir.Model;

namespace Rhizotomy.Core.Profiles;

// Small helpers that keep the differentials below readable: an element is named by its id
// ("Procedure.bodySite:nerve") and its path and slice name are derived from it.
internal static class ElementBuilder
{
    public static ElementDefinition El(string id, int? min = null, string? max = null, bool mustSupport = true, string? shortText = null)
    {
        var last = id[(id.LastIndexOf('.') + 1)..];
        var element = new ElementDefinition
        {
            ElementId = id,
            Path = string.Join('.', id.Split('.').Select(part => part.Split(':')[0])),
            Min = min,
            Max = max,
            Short = shortText,
        };
        if (last.Contains(':')) element.SliceName = last.Split(':')[1];
        if (mustSupport) element.MustSupport = true;
        return element;
    }

    public static ElementDefinition Sliced(this ElementDefinition element, ElementDefinition.DiscriminatorType type, string path, string description)
    {
        element.Slicing = new ElementDefinition.SlicingComponent
        {
            Discriminator = [new ElementDefinition.DiscriminatorComponent { Type = type, Path = path }],
            Rules = ElementDefinition.SlicingRules.Open,
            Description = description,
        };
        return element;
    }

    public static ElementDefinition Bound(this ElementDefinition element, string valueSet, BindingStrength strength, string description)
    {
        element.Binding = new ElementDefinition.ElementDefinitionBindingComponent { Strength = strength, ValueSet = valueSet, Description = description };
        return element;
    }

    public static ElementDefinition References(this ElementDefinition element, params string[] resourceTypes)
    {
        element.Type = [new ElementDefinition.TypeRefComponent
        {
            Code = "Reference",
            TargetProfile = resourceTypes.Select(t => "http://hl7.org/fhir/StructureDefinition/" + t),
        }];
        return element;
    }

    public static ElementDefinition OfType(this ElementDefinition element, string type)
    {
        element.Type = [new ElementDefinition.TypeRefComponent { Code = type }];
        return element;
    }

    public static ElementDefinition Defined(this ElementDefinition element, string definition)
    {
        element.Definition = definition;
        return element;
    }

    public static ElementDefinition WithPattern(this ElementDefinition element, DataType pattern)
    {
        element.Pattern = pattern;
        return element;
    }

    public static ElementDefinition WithFixed(this ElementDefinition element, DataType value)
    {
        element.Fixed = value;
        return element;
    }

    public static ElementDefinition Constrained(this ElementDefinition element, string key, string human, string expression, string source)
    {
        element.Constraint.Add(new ElementDefinition.ConstraintComponent
        {
            Key = key,
            Severity = ConstraintSeverity.Error,
            Human = human,
            Expression = expression,
            Source = source,
        });
        return element;
    }

    public static CodeableConcept Pattern(string system, string? code = null) =>
        new() { Coding = [new Coding { System = system, Code = code }] };
}
