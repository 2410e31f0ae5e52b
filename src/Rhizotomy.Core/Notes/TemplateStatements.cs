using System.Globalization;
using System.Reflection;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Checks;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Profiles;
using Rhizotomy.Core.Templates;
using Q = Hl7.Fhir.Model.Questionnaire;

namespace Rhizotomy.Core.Notes;

/// <summary>A sentence of the note taken from a template item, and the C-CDA section (LOINC code) it is written in.</summary>
public sealed record NoteStatement(string SectionCode, string Text);

/// <summary>
/// Every answered item reaches the note: items the clinical model does not read (a site's "tourniquet used")
/// are said from the template alone. The item's <c>note-phrase</c> extension says how it reads
/// (<c>{answer}</c> and <c>{label}</c> are replaced), otherwise it is written as "label: answer."; its
/// <c>note-section</c> extension (a LOINC section code), else the nearest item code that is an Operative Note
/// section, says where; the procedure description when nothing does.
/// </summary>
public static class TemplateStatements
{
    /// <summary>linkIds the clinical model (<see cref="NoteReader"/>) reads itself, whatever the template.</summary>
    private static readonly HashSet<string> ReadByTheModel = [.. typeof(LinkIds).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!)];

    /// <summary>SDC definition of a template group that is a member of the operating team (read by the model, a <c>Procedure.performer</c>).</summary>
    public const string Performer = "http://hl7.org/fhir/StructureDefinition/Procedure#Procedure.performer";

    internal static IReadOnlyList<NoteStatement> From(ResponseTree tree)
    {
        // The nerve-side items the model reads come from the template's own nerve-side groups; every other answered item becomes a statement.
        var readByTheModel = new HashSet<string>(ReadByTheModel, StringComparer.Ordinal);
        readByTheModel.UnionWith(NerveSides.Of(tree.Template).SelectMany(n => n.ModelItems));
        var statements = new List<NoteStatement>();
        foreach (var node in ResponseTree.Descendants(tree.Roots).Where(n => n.Enabled && n.HasAnswer))
        {
            var d = node.Definition;
            if (d.LinkId is null || readByTheModel.Contains(d.LinkId) || d.Definition?.StartsWith(Performer, StringComparison.Ordinal) == true)
            {
                continue;
            }
            var answer = string.Join(", ", node.Answers.Select(a => Say(d, a)).Where(a => a.Length > 0));
            if (answer.Length == 0)
            {
                continue;
            }
            var label = d.Text ?? d.LinkId;
            var phrase = d.GetExtensionValue<FhirString>(Sdc.NotePhrase)?.Value;
            var text = string.IsNullOrWhiteSpace(phrase)
                ? $"{label}: {answer}"
                : phrase.Replace("{answer}", answer, StringComparison.Ordinal).Replace("{label}", label, StringComparison.Ordinal);
            if (!text.EndsWith('.') && !text.EndsWith('!') && !text.EndsWith('?'))
            {
                text += ".";
            }
            statements.Add(new NoteStatement(SectionOf(node), NoteWording.Capitalise(text)));
        }
        return statements;
    }

    /// <summary>The LOINC code of the section an item is written in.</summary>
    internal static string SectionOf(ResponseNode node)
    {
        if (node.Definition.GetExtensionValue<Code>(Sdc.NoteSection)?.Value is { } own && IsSection(own))
        {
            return own;
        }
        for (var n = node; n is not null; n = n.Parent)
        {
            if (n.Definition.Code.FirstOrDefault(c => c.System == Known.Systems.Loinc && IsSection(c.Code))?.Code is { } code)
            {
                return code;
            }
        }
        return OperativeNoteSections.Description.Code;
    }

    /// <summary>Sections an item can name: the Operative Note's.</summary>
    public static bool IsSection(string? loinc) => OperativeNoteSections.All.Any(s => s.Code == loinc);

    private static string Say(Q.ItemComponent d, DataType answer)
    {
        var unit = TemplateUnits.After(d);
        return answer switch
        {
            FhirBoolean { Value: true } => "yes",
            FhirBoolean { Value: false } => "no",
            Coding c => c.System == Known.ProjectCodeSystem ? NoteWording.Display(c.Code ?? "").ToLowerInvariant() : c.Display ?? c.Code ?? "",
            FhirDecimal { Value: { } x } => NoteWording.Number(x) + unit,
            Integer { Value: { } i } => i.ToString(CultureInfo.InvariantCulture) + unit,
            PrimitiveType p => p.ToString()?.Trim() ?? "",
            ResourceReference r => r.Display ?? r.Reference ?? "",
            _ => "",
        };
    }
}
