using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Templates;

/// <summary>
/// The answer lists of the project ValueSets the templates bind to, from <see cref="Known"/>, so a renderer
/// and the checks can offer and verify codes without a terminology server.
/// </summary>
public static class TemplateAnswers
{
    /// <summary>The one-click answer of the implants and drains items.</summary>
    public const string None = "None";

    /// <summary>SNOMED CT laterality coding of a side.</summary>
    public static Coding Laterality(Side side) => side == Side.Left
        ? new Coding(Known.Systems.Snomed, Known.Snomed.Left, "Left")
        : new Coding(Known.Systems.Snomed, Known.Snomed.Right, "Right");

    /// <summary>Project coding of a nerve.</summary>
    public static Coding Nerve(Nerve nerve) => new(Known.ProjectCodeSystem, nerve.Code, nerve.Name);

    /// <summary>
    /// The codings a ValueSet canonical allows, or null when the ValueSet is not one of ours (a site's own
    /// binding: then any code is accepted and the site's terminology server is the judge).
    /// </summary>
    public static IReadOnlyList<Coding>? For(string? valueSet)
    {
        if (string.IsNullOrEmpty(valueSet))
        {
            return null;
        }
        if (valueSet == Known.LateralityValueSet)
        {
            return [Laterality(Side.Left), Laterality(Side.Right)];
        }
        if (valueSet == Known.DiagnosisValueSet)
        {
            return [.. Known.Icd10Cm.Relevant.Select(d => new Coding(Known.Systems.Icd10Cm, d.Key, d.Value))];
        }
        var prefix = Known.ValueSetFor(string.Empty);
        if (!valueSet.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }
        var group = valueSet[prefix.Length..];
        var codes = Known.Concepts.Where(c => c.Group == group).Select(c => new Coding(Known.ProjectCodeSystem, c.Code, c.Display)).ToList();
        return codes.Count == 0 ? null : codes;
    }

    internal static Side? SideOf(Coding? coding) => coding?.System != Known.Systems.Snomed ? null : coding.Code switch
    {
        Known.Snomed.Left => Side.Left,
        Known.Snomed.Right => Side.Right,
        _ => null,
    };

    internal static Nerve? NerveOf(Coding? coding) =>
        coding?.System != Known.ProjectCodeSystem || string.IsNullOrEmpty(coding.Code) ? null : new Nerve(coding.Code, coding.Display);
}
