using System.Xml;
using System.Xml.Linq;
using Hl7.Fhir.Model;

namespace Sandbox.Ehr.Fhir;

/// <summary>
/// The FHIR narrative rules (https://hl7.org/fhir/R4/narrative.html) a written resource must keep:
/// the XHTML subset Firely checks (no script, form, iframe, object, head or body), plus what a
/// browser would run from an allowed element: <c>on*</c> event attributes, <c>javascript:</c> and
/// <c>vbscript:</c> URLs, and script in <c>style</c>.
/// </summary>
public static class NarrativeRules
{
    private static readonly string[] ScriptSchemes = ["javascript:", "vbscript:", "livescript:"];

    /// <summary>What is wrong with the first narrative of <paramref name="resource"/> (contained ones included) that breaks the rules; null when none does.</summary>
    public static string? Problem(Resource resource)
    {
        foreach (var narrative in FhirEngine.Descendants(resource).OfType<Narrative>())
        {
            if (narrative.Div is not { Length: > 0 } div)
            {
                continue;
            }
            if (!XHtml.IsValidNarrativeXhtml(div, out var error, out var errors))
            {
                var reasons = errors?.Length > 0 ? string.Join("; ", errors.Take(3)) : error;
                return $"The narrative (text.div) is not the XHTML FHIR allows: {reasons}";
            }
            if (ScriptIn(div) is { } script)
            {
                return $"The narrative (text.div) carries script: {script}.";
            }
        }
        return null;
    }

    private static string? ScriptIn(string div)
    {
        XElement root;
        try
        {
            root = XElement.Parse(div, LoadOptions.None);
        }
        catch (XmlException)
        {
            return "it is not well-formed XML";
        }
        foreach (var element in root.DescendantsAndSelf())
        {
            foreach (var attribute in element.Attributes())
            {
                var name = attribute.Name.LocalName;
                if (name.StartsWith("on", StringComparison.OrdinalIgnoreCase))
                {
                    return $"an event attribute '{name}' on <{element.Name.LocalName}>";
                }
                // Browsers ignore whitespace and control characters inside a scheme ("java\tscript:").
                var value = new string([.. attribute.Value.Where(c => !char.IsWhiteSpace(c) && !char.IsControl(c))]).ToLowerInvariant();
                if (ScriptSchemes.Any(value.StartsWith) || (name == "style" && (value.Contains("expression(", StringComparison.Ordinal) || ScriptSchemes.Any(s => value.Contains(s, StringComparison.Ordinal)))))
                {
                    return $"a script URL in '{name}' on <{element.Name.LocalName}>";
                }
            }
        }
        return null;
    }
}
