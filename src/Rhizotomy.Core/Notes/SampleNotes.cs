using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;

namespace Rhizotomy.Core.Notes;

/// <summary>
/// Synthetic operative notes (no real person). <see cref="Filled"/> is the real path (answers on the shipped
/// templates, checks, reader): the profile examples and golden notes are made from it. <see cref="Neurectomy"/>
/// and <see cref="BilateralCoagulation"/> build the clinical model directly, for composer tests and benchmarks.
/// </summary>
public static class SampleNotes
{
    private static readonly TimeSpan Offset = TimeSpan.FromHours(-5);

    /// <summary>The sample operations answered on the shipped templates, in <c>profiles/answers/</c>: an open neurectomy, a percutaneous radiofrequency ablation.</summary>
    public static readonly IReadOnlyList<string> Names = ["example-neurectomy-0001", "example-radiofrequency-0002"];

    /// <summary>
    /// A sample operation through the real path: its answers (<c>profiles/answers/QuestionnaireResponse-{name}.json</c>)
    /// read against the shipped template they name, the checks before signing passed, and the note read from them,
    /// signed at the response's authored time. Throws, with the checks' messages, when the answers no longer sign.
    /// </summary>
    public static (QuestionnaireResponse Response, OperativeNote Note) Filled(string name)
    {
        var file = Path.Combine(AppContext.BaseDirectory, "profiles", "answers", $"QuestionnaireResponse-{name}.json");
        var response = new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<QuestionnaireResponse>(File.ReadAllText(file));
        var signed = DateTimeOffset.Parse(response.Authored ?? throw new InvalidDataException($"The sample {name} has no authored time."), System.Globalization.CultureInfo.InvariantCulture);
        var context = Context(name) with { SignedAt = signed };
        // The example patient's chart: occipital neuralgia on the side(s) operated on.
        Side[] sides = name == Names[0] ? [Side.Left] : [Side.Left, Side.Right];
        var chart = new CaseEvidence(
            [.. sides.Select(side => new EvidenceDiagnosis(
                new Ref(side == Side.Left ? "Condition/example-occipital-neuralgia" : "Condition/example-occipital-neuralgia-right", "Occipital neuralgia"),
                new Concept(Known.Systems.Icd10Cm, Known.Icd10Cm.OccipitalNeuralgia, "Occipital neuralgia"), TextOnly: false, side, Active: true, "2025-01"))],
            [], [], [], []);
        var read = NoteReader.Read(TemplateCatalog.LoadDefault(), response, context, chart);
        if (read.Note is null)
        {
            throw new InvalidOperationException($"The sample {name} does not sign: " + string.Join(" ", read.Outcome.Issue.Select(i => i.Details?.Text)));
        }
        return (response, read.Note);
    }

    private static NoteContext Context(string noteId) => new(
        noteId,
        new Ref("Patient/example-patient", "Alex Example"),
        new Ref("Encounter/example-encounter", "Outpatient surgery"),
        new Ref("Practitioner/example-surgeon", "Dr Sam Surgeon"),
        new Ref("Organization/example-hospital", "Example Hospital"),
        new DateTimeOffset(2026, 3, 4, 11, 20, 0, Offset),
        "1971-06-15");

    private static Indication Indication() => new(
        [
            new PriorBlock("2025-11-12", Nerve.GreaterOccipital, Side.Left, 80, "pain-free for 6 hours", new Ref("Procedure/example-block-1")),
            new PriorBlock("2026-01-08", Nerve.GreaterOccipital, Side.Left, 75, null, null),
        ],
        [
            new TherapyTried("medication", "Gabapentin 300 mg three times daily", "2025-03 to 2025-09", true, new Ref("MedicationStatement/example-gabapentin")),
            new TherapyTried("physical therapy", "Cervical physical therapy, 12 sessions", "2025-05 to 2025-08", true, null),
        ],
        [new Imaging("MRI cervical spine: no structural cause of the pain", "2025-10-02", new Ref("DiagnosticReport/example-mri"))],
        "Chronic occipital neuralgia refractory to medication, physical therapy and nerve blocks.");

    /// <summary>Left greater occipital neurectomy with a specimen sent to pathology.</summary>
    public static OperativeNote Neurectomy() => new(
        Context("example-neurectomy-0001"),
        new DateTimeOffset(2026, 3, 4, 8, 15, 0, Offset),
        new DateTimeOffset(2026, 3, 4, 9, 40, 0, Offset),
        [new Diagnosis(new Concept(Known.Systems.Icd10Cm, Known.Icd10Cm.OccipitalNeuralgia, "Occipital neuralgia"), Side.Left, new Ref("Condition/example-occipital-neuralgia"))],
        [new Diagnosis(new Concept(Known.Systems.Icd10Cm, Known.Icd10Cm.OccipitalNeuralgia, "Occipital neuralgia"), Side.Left, null)],
        Indication(),
        true,
        [Known.Codes.ScalpNumbness, Known.Codes.Infection, Known.Codes.Bleeding, Known.Codes.AdjacentStructureDamage],
        new Concept(Known.Systems.Snomed, Known.Snomed.GeneralAnesthesia, "General anesthesia"),
        "Prone position; 3 cm transverse incision below the left occipital hairline.",
        Known.Codes.OperatingMicroscope,
        [
            new NerveTreatment(Nerve.GreaterOccipital, Side.Left, Technique.Neurectomy,
                [Known.Codes.FindingEntrapped, Known.Codes.FindingThickened], "Compressed where it pierces the trapezius fascia",
                new NeurectomyDetails(15m, Known.Codes.StumpBuriedInMuscle, true), null, null),
        ],
        null,
        null,
        null,
        new ComplicationStatement(true, [], null),
        5m,
        Known.Codes.DispositionHomeSameDay,
        ["Oral analgesia as needed", "Keep the wound dry for 48 hours", "Gradual return to activity over two weeks"],
        "Clinic review in 2 weeks; pain scores (NRS-11) and headache days at 3 months",
        null);

    /// <summary>Bilateral coagulation: radiofrequency of the left greater, bipolar of the right lesser occipital nerve.</summary>
    public static OperativeNote BilateralCoagulation() => new(
        Context("example-coagulation-0002"),
        new DateTimeOffset(2026, 3, 4, 8, 15, 0, Offset),
        new DateTimeOffset(2026, 3, 4, 10, 5, 0, Offset),
        [
            new Diagnosis(new Concept(Known.Systems.Icd10Cm, Known.Icd10Cm.OccipitalNeuralgia, "Occipital neuralgia"), Side.Left, new Ref("Condition/example-occipital-neuralgia")),
            new Diagnosis(new Concept(Known.Systems.Icd10Cm, Known.Icd10Cm.OccipitalNeuralgia, "Occipital neuralgia"), Side.Right, new Ref("Condition/example-occipital-neuralgia-right")),
        ],
        [
            new Diagnosis(new Concept(Known.Systems.Icd10Cm, Known.Icd10Cm.OccipitalNeuralgia, "Occipital neuralgia"), Side.Left, null),
            new Diagnosis(new Concept(Known.Systems.Icd10Cm, Known.Icd10Cm.OccipitalNeuralgia, "Occipital neuralgia"), Side.Right, null),
        ],
        Indication(),
        true,
        [Known.Codes.ScalpNumbness, Known.Codes.Infection, Known.Codes.Bleeding],
        new Concept(Known.Systems.Snomed, Known.Snomed.GeneralAnesthesia, "General anesthesia"),
        "Prone position; two 2 cm incisions below the occipital hairline, one each side.",
        Known.Codes.SurgicalLoupes,
        [
            new NerveTreatment(Nerve.GreaterOccipital, Side.Left, Technique.Coagulation, [Known.Codes.FindingThickened], null,
                null, new CoagulationDetails(EnergyMethod.Radiofrequency, 80m, 90m, 2), null),
            new NerveTreatment(Nerve.LesserOccipital, Side.Right, Technique.Coagulation, [Known.Codes.FindingNormal], null,
                null, new CoagulationDetails(EnergyMethod.BipolarElectrocautery, null, null, null), null),
        ],
        null,
        null,
        null,
        new ComplicationStatement(true, [], null),
        2m,
        Known.Codes.DispositionHomeSameDay,
        ["Oral analgesia as needed", "Wound care instructions given"],
        "Clinic review in 2 weeks",
        null);

    /// <summary>A stand-in source response for composer tests of <paramref name="note"/>; it answers no shipped template (use <see cref="Filled"/> for one that does).</summary>
    public static QuestionnaireResponse Response(OperativeNote note) => new()
    {
        Questionnaire = Known.CanonicalBase + "/Questionnaire/occipital-rhizotomy-operative-note",
        Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed,
        Subject = new ResourceReference(note.Context.Patient.Reference, note.Context.Patient.Display),
        Encounter = note.Context.Encounter is { } encounter ? new ResourceReference(encounter.Reference) : null,
        AuthoredElement = new FhirDateTime(note.Context.SignedAt),
        Author = new ResourceReference(note.Context.Surgeon.Reference, note.Context.Surgeon.Display),
        Item =
        [
            new QuestionnaireResponse.ItemComponent
            {
                LinkId = "consent",
                Text = "Informed consent obtained",
                Answer = [new QuestionnaireResponse.AnswerComponent { Value = new FhirBoolean(note.ConsentObtained) }],
            },
            new QuestionnaireResponse.ItemComponent
            {
                LinkId = "ebl",
                Text = "Estimated blood loss (mL)",
                Answer = [new QuestionnaireResponse.AnswerComponent { Value = new FhirDecimal(note.EstimatedBloodLossMl) }],
            },
        ],
    };
}
