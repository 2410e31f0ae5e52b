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
}
