namespace Rhizotomy.Core.Clinical;

// The operative note as the surgeon completed it, independent of FHIR wire shapes. Templates read a
// QuestionnaireResponse into this; the note composer turns it into the resources we write.

/// <summary>Side of the body a nerve is on.</summary>
public enum Side { Left, Right }

/// <summary>
/// A nerve, as data: a concept of the project CodeSystem (group <c>nerve</c>) named by a template's nerve-side group
/// (see <see cref="Templates.NerveSides"/>). Two nerves are the same when their codes are.
/// </summary>
/// <param name="Code">Project CodeSystem code (<c>greater-occipital-nerve</c>).</param>
/// <param name="Display">How a template named it, when the code is not one the product knows.</param>
public sealed record Nerve(string Code, string? Display = null)
{
    /// <summary>The shipped nerves (the chart readers recognise them in Procedure codes and texts).</summary>
    public static Nerve GreaterOccipital { get; } = new(Known.Codes.GreaterOccipitalNerve);
    public static Nerve LesserOccipital { get; } = new(Known.Codes.LesserOccipitalNerve);
    public static Nerve ThirdOccipital { get; } = new(Known.Codes.ThirdOccipitalNerve);

    /// <summary>"Greater occipital nerve": the CodeSystem's display, else the template's, else the code.</summary>
    public string Name => Known.Concepts.FirstOrDefault(c => c.Code == Code)?.Display ?? Display ?? Code;

    public bool Equals(Nerve? other) => other is not null && other.Code == Code;

    public override int GetHashCode() => Code.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Code;
}

/// <summary>How a nerve was treated.</summary>
public enum Technique { Neurectomy, Coagulation }

/// <summary>Energy used for coagulation.</summary>
public enum EnergyMethod { BipolarElectrocautery, Radiofrequency }

/// <summary>A literal reference to a FHIR resource (<c>Patient/123</c>) with what a human reads for it.</summary>
public sealed record Ref(string Reference, string? Display = null);

/// <summary>A coded concept; <see cref="System"/> and <see cref="Code"/> are null for a text-only concept.</summary>
public sealed record Concept(string? System, string? Code, string Text);

/// <summary>Who and what the note is about, from the launch.</summary>
/// <param name="NoteId">Stable business identifier of the note; every written resource carries it.</param>
/// <param name="Custodian">The organisation that keeps the document (US Realm Header custodian), from site configuration.</param>
/// <param name="PatientBirthDate">The patient's birth date (FHIR date) from the chart: with the name, the second identifier a reader checks.</param>
public sealed record NoteContext(
    string NoteId,
    Ref Patient,
    Ref? Encounter,
    Ref Surgeon,
    Ref Custodian,
    DateTimeOffset SignedAt,
    string? PatientBirthDate = null);

/// <summary>A diagnosis on the note, with the chart Condition it came from when there is one.</summary>
public sealed record Diagnosis(Concept Concept, Side? Side, Ref? Condition);

/// <summary>A prior occipital nerve block, from the chart or entered by the surgeon.</summary>
/// <param name="Date">FHIR date or dateTime (may be partial: "2026-03").</param>
/// <param name="ReliefPercent">Pain relief reported after the block, 0-100, when recorded as a number.</param>
/// <param name="ReliefText">Relief as recorded in words.</param>
public sealed record PriorBlock(string? Date, Nerve? Nerve, Side? Side, int? ReliefPercent, string? ReliefText, Ref? Source);

/// <summary>Conservative treatment tried before surgery (medication, physical therapy, other).</summary>
public sealed record TherapyTried(string Kind, string Text, string? Period, bool? Failed, Ref? Source);

/// <summary>Imaging done in the work-up.</summary>
public sealed record Imaging(string Text, string? Date, Ref? Source);

/// <summary>Why the operation was done: the evidence a reviewer reads first.</summary>
public sealed record Indication(
    IReadOnlyList<PriorBlock> Blocks,
    IReadOnlyList<TherapyTried> Therapies,
    IReadOnlyList<Imaging> Imaging,
    string? Summary);

/// <summary>Details when the nerve was cut.</summary>
/// <param name="StumpManagement">A <see cref="Known.Codes"/> stump-management code.</param>
public sealed record NeurectomyDetails(decimal SegmentLengthMm, string StumpManagement, bool SpecimenSentToPathology);

/// <summary>Details when the nerve was coagulated; temperature, duration and lesions apply to radiofrequency.</summary>
public sealed record CoagulationDetails(EnergyMethod Method, decimal? TemperatureCelsius, decimal? LesionDurationSeconds, int? LesionCount);

/// <summary>What was done to one nerve on one side.</summary>
/// <param name="Findings">Project nerve-finding codes.</param>
/// <param name="LateralityReason">Why this side was treated when the chart has no diagnosis on it (laterality safety check).</param>
/// <param name="Extracted">
/// The Procedure the template's SDC definition-based extraction gives for this nerve and side (code, body site, complications,
/// team, any element a site maps); the composer completes it. Null for a note built in code rather than read from a template.
/// </param>
public sealed record NerveTreatment(
    Nerve Nerve,
    Side Side,
    Technique Technique,
    IReadOnlyList<string> Findings,
    string? FindingsText,
    NeurectomyDetails? Neurectomy,
    CoagulationDetails? Coagulation,
    string? LateralityReason,
    Hl7.Fhir.Model.Procedure? Extracted = null);

/// <summary>A member of the operating team beside the signing surgeon, with the role the note gives them ("Resident").</summary>
/// <param name="Practitioner">The EHR's Practitioner when the member was chosen from it; null for a name typed.</param>
public sealed record TeamMember(string Name, string? Role, Ref? Practitioner = null);

/// <summary>Complications: <see cref="None"/> is the explicit "no complications" statement.</summary>
public sealed record ComplicationStatement(bool None, IReadOnlyList<string> Codes, string? Text);

/// <summary>A completed operative note for occipital nerve rhizotomy.</summary>
/// <param name="ApproachKind">"open" or "percutaneous" when the template asks (its <c>approach-kind</c> item): a key of the site's coding table.</param>
/// <param name="Team">Assistants, residents and co-surgeons (the signer is <see cref="NoteContext.Surgeon"/>): each a <c>Procedure.performer</c> with the role as its function.</param>
/// <param name="LateEntry">Signed longer after the operation than the template's late-entry limit (its <c>late-entry</c> rule): the note says so.</param>
/// <param name="Statements">What the template says beyond the clinical model (items a site added), per section: every answered item reaches the note.</param>
/// <remarks>
/// <see cref="Implants"/> and <see cref="Drains"/>: null when not recorded (no section is written),
/// <see cref="NoneRecorded"/> when the surgeon answered that there were none (the note says "No
/// implants." / "No drains."), otherwise the surgeon's description.
/// </remarks>
public sealed record OperativeNote(
    NoteContext Context,
    DateTimeOffset PerformedStart,
    DateTimeOffset PerformedEnd,
    IReadOnlyList<Diagnosis> PreoperativeDiagnoses,
    IReadOnlyList<Diagnosis> PostoperativeDiagnoses,
    Indication Indication,
    bool ConsentObtained,
    IReadOnlyList<string> RisksDiscussed,
    Concept Anesthesia,
    string Approach,
    string? Magnification,
    IReadOnlyList<NerveTreatment> Treatments,
    string? SpecimensText,
    string? Implants,
    string? Drains,
    ComplicationStatement Complications,
    decimal EstimatedBloodLossMl,
    string Disposition,
    IReadOnlyList<string> Plan,
    string? FollowUp,
    string? AdditionalNotes,
    IReadOnlyList<Notes.NoteStatement>? Statements = null,
    bool LateEntry = false,
    IReadOnlyList<TeamMember>? Team = null,
    string? ApproachKind = null)
{
    /// <summary>The value of <see cref="Implants"/> or <see cref="Drains"/> that says there were none (a structured answer, not text to print).</summary>
    public const string NoneRecorded = "none";

    /// <summary>True when <paramref name="value"/> (an <see cref="Implants"/> or <see cref="Drains"/> value) says there were none.</summary>
    public static bool IsNone(string? value) => value == NoneRecorded;
}
