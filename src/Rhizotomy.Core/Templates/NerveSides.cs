using System.Runtime.CompilerServices;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Q = Hl7.Fhir.Model.Questionnaire;

namespace Rhizotomy.Core.Templates;

/// <summary>
/// The nerve-side groups of a template, read from the template itself: a group whose <c>code</c> holds a
/// project CodeSystem concept (the nerve) and a SNOMED CT side. Adding a nerve is adding such a group (and the
/// concept); no code names the nerves a template documents.
/// </summary>
public static class NerveSides
{
    private static readonly ConditionalWeakTable<Q, IReadOnlyList<NerveSide>> Cache = [];

    /// <summary>Every nerve-side group of <paramref name="template"/>, in template order.</summary>
    public static IReadOnlyList<NerveSide> Of(Q template) => Cache.GetValue(template, t => [.. Find(t.Item)]);

    /// <summary>The nerve-side group with this linkId, if <paramref name="template"/> has one.</summary>
    public static NerveSide? ByGroup(Q template, string? groupLinkId) => Of(template).FirstOrDefault(n => n.Group == groupLinkId);

    /// <summary>The same nerve on the other side, when the template has it.</summary>
    public static NerveSide? OtherSide(Q template, NerveSide nerveSide) =>
        Of(template).FirstOrDefault(n => n.Nerve == nerveSide.Nerve && n.Side != nerveSide.Side);

    /// <summary>The distinct nerves of <paramref name="template"/>, in template order.</summary>
    public static IReadOnlyList<Nerve> Nerves(Q template) => [.. Of(template).Select(n => n.Nerve).Distinct()];

    private static IEnumerable<NerveSide> Find(IEnumerable<Q.ItemComponent> items)
    {
        foreach (var item in TemplateCatalog.Flatten(items).Where(i => i.Type == Q.QuestionnaireItemType.Group && i.LinkId is not null))
        {
            var side = item.Code.Select(TemplateAnswers.SideOf).FirstOrDefault(s => s is not null);
            var nerve = item.Code.FirstOrDefault(c => c.System == Known.ProjectCodeSystem && c.Code is not null);
            // The "treated" question: the group's first yes/no item; the other items share its prefix.
            var treated = item.Item.FirstOrDefault(i => i.Type == Q.QuestionnaireItemType.Boolean && i.LinkId is not null)?.LinkId;
            if (side is null || nerve?.Code is not { } code || treated is null)
            {
                continue;
            }
            var prefix = treated.EndsWith(NerveSide.TreatedSuffix, StringComparison.Ordinal) ? treated[..^NerveSide.TreatedSuffix.Length] : treated;
            yield return new NerveSide(new Nerve(code, nerve.Display), side.Value, item.LinkId!, treated, prefix);
        }
    }
}

/// <summary>
/// One nerve on one side as a template documents it: the group (present, and <see cref="Treated"/> true, when it was
/// treated) and its items, named <c>&lt;prefix&gt;-&lt;role&gt;</c> after the group's yes/no "treated" item
/// (<c>gon-left-treated</c>, <c>gon-left-technique</c>). An item a template leaves out is simply never answered.
/// </summary>
public sealed record NerveSide(Nerve Nerve, Side Side, string Group, string Treated, string Prefix)
{
    internal const string TreatedSuffix = "-treated";

    public string Technique => Prefix + "-technique";
    public string Findings => Prefix + "-findings";
    public string FindingsText => Prefix + "-findings-text";
    public string SegmentLength => Prefix + "-segment-length";
    public string Stump => Prefix + "-stump";
    public string SpecimenSent => Prefix + "-specimen-sent";
    public string EnergyMethod => Prefix + "-energy-method";
    public string RfTemperature => Prefix + "-rf-temperature";
    public string RfDuration => Prefix + "-rf-duration";
    public string RfLesions => Prefix + "-rf-lesions";
    public string LateralityReason => Prefix + "-laterality-reason";

    /// <summary>The linkIds of the items the clinical model reads (the treated question and the technique details).</summary>
    public IEnumerable<string> ModelItems =>
        [Group, Treated, Technique, Findings, FindingsText, SegmentLength, Stump, SpecimenSent, EnergyMethod, RfTemperature, RfDuration, RfLesions, LateralityReason];

    /// <summary>"Left greater occipital nerve": how the checks name this group to a surgeon.</summary>
    public string Label => (Side == Side.Left ? "Left " : "Right ") + Nerve.Name.ToLowerInvariant();
}
