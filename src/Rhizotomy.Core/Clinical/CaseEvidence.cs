namespace Rhizotomy.Core.Clinical;

/// <summary>A diagnosis from the chart relevant to the operation.</summary>
/// <param name="TextOnly">True when matched on text alone (no standard code): shown as such, never silently coded.</param>
/// <param name="Active">False for inactive/resolved/remission Conditions (shown, marked).</param>
/// <param name="Onset">FHIR date or dateTime, possibly partial.</param>
public sealed record EvidenceDiagnosis(Ref Source, Concept Concept, bool TextOnly, Side? Side, bool Active, string? Onset);

/// <summary>What a reviewer would flag as missing from the work-up.</summary>
/// <param name="Code">Stable key: <c>no-diagnostic-block</c>, <c>no-imaging</c>, <c>no-failed-conservative-treatment</c>, <c>no-relevant-diagnosis</c>.</param>
public sealed record EvidenceGap(string Code, string Text);

/// <summary>
/// The case for the operation as the chart shows it, every item pointing back to its source
/// resource. Built from plain FHIR resources by core code; prefill and checks read it.
/// </summary>
public sealed record CaseEvidence(
    IReadOnlyList<EvidenceDiagnosis> Diagnoses,
    IReadOnlyList<PriorBlock> Blocks,
    IReadOnlyList<TherapyTried> Therapies,
    IReadOnlyList<Imaging> Imaging,
    IReadOnlyList<EvidenceGap> Gaps);
