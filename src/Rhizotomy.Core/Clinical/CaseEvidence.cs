namespace Rhizotomy.Core.Clinical;

/// <summary>How the case evidence names things to a reviewer (the checklist, the case page).</summary>
public static class EvidenceWords
{
    /// <summary>"greater occipital": the project's name of the nerve (<see cref="Known.Concepts"/>) without the word "nerve".</summary>
    public static string Nerve(Nerve nerve)
    {
        var name = Notes.NoteWording.Nerve(nerve);
        return name.EndsWith(" nerve", StringComparison.Ordinal) ? name[..^" nerve".Length] : name;
    }
}

/// <summary>A diagnosis from the chart relevant to the operation.</summary>
/// <param name="TextOnly">True when matched on text alone (no standard code, or a code written wrongly): shown as such, never silently coded.</param>
/// <param name="Active">False for inactive/resolved/remission Conditions and for refuted or entered-in-error ones (shown, marked).</param>
/// <param name="Onset">FHIR date or dateTime, possibly partial.</param>
public sealed record EvidenceDiagnosis(Ref Source, Concept Concept, bool TextOnly, Side? Side, bool Active, string? Onset)
{
    private readonly bool? _prefillable;

    /// <summary>The Condition's verification status code as the chart has it (<c>confirmed</c>, <c>provisional</c>, ...), or null.</summary>
    public string? VerificationStatus { get; init; }

    /// <summary>The Condition's clinical status code as the chart has it (<c>active</c>, <c>remission</c>, ...), or null.</summary>
    public string? ClinicalStatus { get; init; }

    /// <summary>When the condition abated (FHIR date, dateTime or text), or null.</summary>
    public string? Abatement { get; init; }

    /// <summary>The code exactly as the chart wrote it when it is not a well-formed code of its system (shown, flagged, never corrected).</summary>
    public string? CodeAsWritten { get; init; }

    /// <summary>
    /// May prefill the note's diagnosis: only a confirmed, active (or recurring) diagnosis. The builder sets it;
    /// evidence made by hand defaults to <see cref="Active"/>.
    /// </summary>
    public bool Prefillable { get => _prefillable ?? Active; init => _prefillable = value; }
}

/// <summary>What a reviewer would flag as missing from the work-up.</summary>
/// <param name="Code">Stable key: <c>no-diagnostic-block</c>, <c>no-imaging</c>, <c>no-failed-conservative-treatment</c>, <c>no-relevant-diagnosis</c>.</param>
public sealed record EvidenceGap(string Code, string Text);

/// <summary>Something in the chart that looks wrong, shown beside the item it is about; never corrected silently.</summary>
/// <param name="Code">Stable key: <c>malformed-code</c>, <c>future-date</c>, <c>before-birth</c>.</param>
public sealed record EvidenceFlag(string Code, string Text, Ref Source);

/// <summary>One fact about a block (date, nerve, side, agent, volume, guidance, relief, relief duration, pain before/after).</summary>
/// <param name="FromText">True when read from free text rather than from a coded element or a linked Observation.</param>
public sealed record BlockFact(string Name, string Value, Ref Source, bool FromText);

/// <summary>A diagnostic block as a surgeon records it; every fact keeps its source.</summary>
/// <param name="ReliefPercent">Only from a relief Observation, from pain scores before and after, or from relief wording: never from a concentration, dose or volume.</param>
public sealed record EvidenceBlock(
    string? Date,
    Nerve? Nerve,
    Side? Side,
    string? Agent,
    string? Volume,
    string? Guidance,
    int? ReliefPercent,
    string? ReliefDuration,
    decimal? PainBefore,
    decimal? PainAfter,
    Ref Source,
    IReadOnlyList<BlockFact> Facts)
{
    /// <summary>The chart's own words about the result (outcome, notes), as written, or null.</summary>
    public string? AsRecorded { get; init; }
}

/// <summary>A therapy found in the chart, whether or not it counts as tried for this indication.</summary>
/// <param name="Ingredient">The ingredient of a drug (a brand name mapped to it), or null.</param>
/// <param name="Class">The headache-relevant class of the drug, or null.</param>
/// <param name="LinkedToIndication">The chart links it to a headache or neck diagnosis (reason, or a neck/head site for physical therapy).</param>
/// <param name="Counts">Counts as tried for the indication (linked, or of a headache-relevant class); otherwise it is listed apart.</param>
/// <param name="WhyStopped">What the chart says about stopping it, or null.</param>
public sealed record EvidenceTherapy(TherapyTried Therapy, string? Ingredient, string? Class, bool LinkedToIndication, bool Counts, string? WhyStopped);

/// <summary>How one medical-necessity criterion stands in the chart.</summary>
public enum CriterionStatus
{
    Met,
    NotMet,
    NotFound,
}

/// <summary>One line of the medical-necessity checklist, with what was found and where.</summary>
public sealed record NecessityCriterion(string Id, string Text, CriterionStatus Status, string Finding, IReadOnlyList<Ref> Sources);

/// <summary>
/// The case for the operation as the chart shows it, every item pointing back to its source
/// resource. Built from plain FHIR resources by core code; prefill and checks read it.
/// </summary>
/// <param name="Therapies">Only the therapies that count for the indication (see <see cref="TherapyDetails"/> for all).</param>
public sealed record CaseEvidence(
    IReadOnlyList<EvidenceDiagnosis> Diagnoses,
    IReadOnlyList<PriorBlock> Blocks,
    IReadOnlyList<TherapyTried> Therapies,
    IReadOnlyList<Imaging> Imaging,
    IReadOnlyList<EvidenceGap> Gaps)
{
    /// <summary>The blocks with every fact a surgeon records (same order as <see cref="Blocks"/>).</summary>
    public IReadOnlyList<EvidenceBlock> BlockDetails { get; init; } = [];

    /// <summary>Every therapy found, those that count for the indication and those listed apart.</summary>
    public IReadOnlyList<EvidenceTherapy> TherapyDetails { get; init; } = [];

    /// <summary>What looks wrong in the chart (malformed codes, impossible dates).</summary>
    public IReadOnlyList<EvidenceFlag> Flags { get; init; } = [];

    /// <summary>The medical-necessity checklist, criterion by criterion.</summary>
    public IReadOnlyList<NecessityCriterion> Necessity { get; init; } = [];
}
