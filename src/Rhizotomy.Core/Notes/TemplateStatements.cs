using System.Globalization;
using System.Reflection;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Checks;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Profiles;
using Rhizotomy.Core.Templates;
using Q = Hl7.Fhir.Model.Questionnaire;

namespace Rhizotomy.Core.Notes;

/// <summary>Where a template sentence stands in the procedure description, from its item's place in the template.</summary>
public enum StatementPlace
{
    /// <summary>Its item comes before the nerves (the time-out, antibiotic, position, preparation, the approach): before the nerves.</summary>
    BeforeTreatments,
    /// <summary>Its item comes after the nerves (closing): after the nerves.</summary>
    AfterTreatments,
    /// <summary>The team's statements (the teaching physician's): they close the description, wherever the form asks them.</summary>
    Team,
}

/// <summary>A sentence of the note taken from a template item, the C-CDA section (LOINC code) it is written in, and its place there.</summary>
public sealed record NoteStatement(string SectionCode, string Text, StatementPlace Place = StatementPlace.AfterTreatments);

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
        var order = TemplateCatalog.Flatten(tree.Template.Item).Select(i => i.LinkId).ToList();
        // Where the nerves begin: the template's first nerve-side group (read from the template's data, not named here).
        var nerves = NerveSides.Of(tree.Template).Select(n => order.IndexOf(n.Group)).DefaultIfEmpty(order.Count).Min();
        StatementPlace PlaceOf(ResponseNode node)
        {
            var at = order.IndexOf(node.LinkId);
            // The team's statements: items of a group that holds the performer group.
            if (node.Parent?.Definition.Item.Any(i => i.Definition?.StartsWith(Performer, StringComparison.Ordinal) == true) == true)
                return StatementPlace.Team;
            return at > nerves ? StatementPlace.AfterTreatments : StatementPlace.BeforeTreatments;
        }
        // In the template's order (the order the operation is done in), whatever order the response lists its items in.
        foreach (var node in ResponseTree.Descendants(tree.Roots).Where(n => n.Enabled && n.HasAnswer).OrderBy(n => order.IndexOf(n.LinkId)))
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
            statements.Add(new NoteStatement(SectionOf(node), NoteWording.Capitalise(text), PlaceOf(node)));
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
