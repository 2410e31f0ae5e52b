using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Templates;

/// <summary>
/// The linkIds of the operative-note templates. They are an API: the UI, prefill, the checks and the
/// reader all address answers by them, and a site's own template must keep them to be read.
/// R4 requires linkIds to be unique within a Questionnaire, so per-nerve items carry the nerve and side
/// as a prefix (<c>gon-left-segment-length</c>).
/// </summary>
public static class LinkIds
{
    public const string PreopDiagnosis = "preop-diagnosis";
    public const string PreopDiagnosisCode = "preop-diagnosis-code";
    public const string PreopDiagnosisSide = "preop-diagnosis-side";

    public const string Indication = "indication";
    public const string PriorBlock = "prior-block";
    public const string PriorBlockDate = "prior-block-date";
    public const string PriorBlockNerve = "prior-block-nerve";
    public const string PriorBlockSide = "prior-block-side";
    public const string PriorBlockReliefPercent = "prior-block-relief-percent";
    public const string PriorBlockReliefText = "prior-block-relief-text";
    public const string Therapy = "therapy";
    public const string TherapyKind = "therapy-kind";
    public const string TherapyText = "therapy-text";
    public const string TherapyPeriod = "therapy-period";
    public const string TherapyFailed = "therapy-failed";
    public const string Imaging = "imaging";
    public const string ImagingText = "imaging-text";
    public const string ImagingDate = "imaging-date";
    public const string IndicationSummary = "indication-summary";

    public const string Consent = "consent";
    public const string ConsentObtained = "consent-obtained";
    public const string RisksDiscussed = "risks-discussed";

    public const string Anaesthesia = "anaesthesia";

    public const string Approach = "approach";
    public const string Incision = "incision";
    public const string Magnification = "magnification";

    /// <summary>The group holding one group per nerve and side.</summary>
    public const string Nerves = "nerves";

    public const string Specimens = "specimens";
    public const string Implants = "implants";
    public const string Drains = "drains";

    public const string Complications = "complications";
    public const string Complication = "complication";
    public const string ComplicationsText = "complications-text";

    public const string EstimatedBloodLoss = "estimated-blood-loss";
    public const string Disposition = "disposition";

    public const string Plan = "plan";
    public const string PlanPain = "plan-pain";
    public const string PlanWound = "plan-wound";
    public const string PlanActivity = "plan-activity";
    public const string FollowUp = "follow-up";

    public const string Performed = "performed";
    public const string PerformedStart = "performed-start";
    public const string PerformedEnd = "performed-end";

    public const string PostopDiagnosis = "postop-diagnosis";
    public const string PostopDiagnosisCode = "postop-diagnosis-code";
    public const string PostopDiagnosisSide = "postop-diagnosis-side";

    public const string AdditionalNotes = "additional-notes";

    /// <summary>Every nerve and side the templates document, in template order.</summary>
    public static readonly IReadOnlyList<NerveLinkIds> NerveSides =
    [
        .. from nerve in new[] { Nerve.GreaterOccipital, Nerve.LesserOccipital, Nerve.ThirdOccipital }
           from side in new[] { Side.Left, Side.Right }
           select new NerveLinkIds(nerve, side),
    ];

    /// <summary>The linkIds of one nerve on one side.</summary>
    public static NerveLinkIds For(Nerve nerve, Side side) => NerveSides.First(n => n.Nerve == nerve && n.Side == side);

    /// <summary>Short prefix of a nerve: <c>gon</c>, <c>lon</c>, <c>ton</c>.</summary>
    public static string Abbreviation(Nerve nerve) => nerve switch
    {
        Nerve.GreaterOccipital => "gon",
        Nerve.LesserOccipital => "lon",
        _ => "ton",
    };
}

/// <summary>linkIds of the group documenting one nerve on one side (<c>treat-gon-left</c> and its items).</summary>
public sealed record NerveLinkIds(Nerve Nerve, Side Side)
{
    private string Prefix => LinkIds.Abbreviation(Nerve) + "-" + (Side == Side.Left ? "left" : "right");

    /// <summary>The group: present (and <see cref="Treated"/> true) when this nerve on this side was treated.</summary>
    public string Group => "treat-" + Prefix;
    public string Treated => Prefix + "-treated";
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

    /// <summary>"Left greater occipital nerve": how the checks name this group to a surgeon.</summary>
    public string Label => (Side == Side.Left ? "Left " : "Right ") + Nerve switch
    {
        Nerve.GreaterOccipital => "greater occipital nerve",
        Nerve.LesserOccipital => "lesser occipital nerve",
        _ => "third occipital nerve",
    };
}
