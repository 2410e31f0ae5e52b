using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Rhizotomy.Core.Clinical;

/// <summary>
/// Every canonical URL, code system and code the product uses, in one place. It must match
/// <c>profiles/</c>: the project CodeSystem is read from <c>profiles/CodeSystem-rhizotomy.json</c> (<see cref="Concepts"/>),
/// and a test checks that every code named here is in it.
/// </summary>
public static class Known
{
    /// <summary>Canonical base of the project's conformance resources.</summary>
    public const string CanonicalBase = "http://rhizotomy-note.org/fhir";

    public const string ProjectCodeSystem = CanonicalBase + "/CodeSystem/rhizotomy";
    /// <summary>System of the business identifier every written resource carries (one value per note).</summary>
    public const string NoteIdentifierSystem = CanonicalBase + "/sid/operative-note";

    /// <summary>ValueSet of one <see cref="ProjectConcept.Group"/> of the project CodeSystem (<c>nerve</c>, <c>technique</c>, ...).</summary>
    public static string ValueSetFor(string group) => CanonicalBase + "/ValueSet/" + group;

    /// <summary>SNOMED CT left / right (the HL7 body-site laterality codes CLINICAL.md verified).</summary>
    public const string LateralityValueSet = CanonicalBase + "/ValueSet/laterality";
    /// <summary>The verified ICD-10-CM diagnoses that indicate the operation.</summary>
    public const string DiagnosisValueSet = CanonicalBase + "/ValueSet/occipital-headache-diagnosis";

    /// <summary>Extension URLs: ours, and the core/SDC ones the templates use.</summary>
    public static class Extensions
    {
        /// <summary>On a prefilled QuestionnaireResponse item: valueReference to the chart resource the answer came from.</summary>
        public const string PrefillSource = CanonicalBase + "/StructureDefinition/prefill-source";
        /// <summary>UCUM unit of a numeric Questionnaire item (core R4 / SDC).</summary>
        public const string QuestionnaireUnit = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit";
        /// <summary>Lowest allowed answer of a numeric Questionnaire item (core R4).</summary>
        public const string MinValue = "http://hl7.org/fhir/StructureDefinition/minValue";
        /// <summary>Highest allowed answer of a numeric Questionnaire item (core R4).</summary>
        public const string MaxValue = "http://hl7.org/fhir/StructureDefinition/maxValue";
    }

    /// <summary>
    /// System of the stable keys the checks before signing put in <c>OperationOutcome.issue.details.coding</c>
    /// (<c>required</c>, <c>laterality-unconfirmed</c>, ...), so a UI can react to a check without parsing text.
    /// </summary>
    public const string NoteCheckSystem = CanonicalBase + "/CodeSystem/note-check";

    /// <summary>Canonical of a template (Questionnaire) shipped in <c>profiles/questionnaires/</c>.</summary>
    public static string QuestionnaireUrl(string id) => CanonicalBase + "/Questionnaire/" + id;

    public static class Systems
    {
        public const string Loinc = "http://loinc.org";
        public const string Snomed = "http://snomed.info/sct";
        public const string Icd10Cm = "http://hl7.org/fhir/sid/icd-10-cm";
        /// <summary>CPT codes appear only as site-supplied mappings; the product ships no CPT descriptors.</summary>
        public const string Cpt = "http://www.ama-assn.org/go/cpt";
        public const string UsCoreDocumentReferenceCategory = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category";
        public const string ConditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical";
        public const string ConditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
        public const string ProvenanceParticipantType = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
        public const string UnitsOfMeasure = "http://unitsofmeasure.org";
        /// <summary>IHE format codes (US Core DocumentReference <c>content.format</c>).</summary>
        public const string IheFormatCode = "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode";
    }

    /// <summary>The note's renderings: UTF-8 said in the media type (notes carry "°C" and non-Latin names), and US Core's format code.</summary>
    public static class Media
    {
        public const string PlainText = "text/plain; charset=utf-8";
        public const string Html = "text/html; charset=utf-8";
        /// <summary>The media type says all there is to know about the format.</summary>
        public const string MimeTypeSufficient = "urn:ihe:iti:xds:2017:mimeTypeSufficient";
    }

    /// <summary>Profile canonicals: ours, and the published ones we also validate against.</summary>
    public static class Profiles
    {
        public const string Procedure = CanonicalBase + "/StructureDefinition/rhizotomy-procedure";
        public const string OperativeNote = CanonicalBase + "/StructureDefinition/rhizotomy-operative-note";
        public const string DocumentReference = CanonicalBase + "/StructureDefinition/rhizotomy-note-documentreference";
        public const string Provenance = CanonicalBase + "/StructureDefinition/rhizotomy-provenance";
        public const string QuestionnaireResponse = CanonicalBase + "/StructureDefinition/rhizotomy-questionnaireresponse";

        public const string UsCoreProcedure = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-procedure";
        public const string UsCoreDocumentReference = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference";
        public const string UsCoreProvenance = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-provenance";
        public const string UsCoreQuestionnaireResponse = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-questionnaireresponse";
        public const string CcdaOperativeNote = "http://hl7.org/fhir/us/ccda/StructureDefinition/Operative-Note";
    }

    /// <summary>LOINC document and section codes (C-CDA Operative Note), verified in CLINICAL.md.</summary>
    public static class Loinc
    {
        public const string SurgicalOperationNote = "11504-8";
        public const string ProcedureNote = "28570-0";
        public const string PreoperativeDiagnosis = "10219-4";
        public const string PostoperativeDiagnosis = "10218-6";
        public const string ProcedureDescription = "29554-3";
        public const string Anesthesia = "59774-0";
        public const string ProcedureFindings = "59776-5";
        public const string Complications = "55109-3";
        public const string EstimatedBloodLoss = "59770-8";
        public const string SpecimensTaken = "59773-2";
        public const string ProcedureIndications = "59768-2";
        public const string ProcedureImplants = "59771-6";
        public const string SurgicalDrains = "11537-8";
        public const string ProcedureDisposition = "59775-7";
        public const string PlanOfTreatment = "18776-5";
        public const string PlannedProcedure = "59772-4";
    }

    /// <summary>SNOMED CT codes verified in CLINICAL.md.</summary>
    public static class Snomed
    {
        public const string Left = "7771000";
        public const string Right = "24028007";
        public const string LeftAndRight = "51440002";
        // Unilateral left / right: R4 ValueSet bodysite-laterality (as Epic-like charts send them).
        public const string UnilateralLeft = "419161000";
        public const string UnilateralRight = "419465000";
        public const string GeneralAnesthesia = "50697003";
    }

    /// <summary>ICD-10-CM codes verified in CLINICAL.md (the only diagnosis codes the product treats as standard).</summary>
    public static class Icd10Cm
    {
        public const string OccipitalNeuralgia = "M54.81";
        public const string CervicogenicHeadache = "G44.86";
        public const string ChronicMigraineNotIntractable = "G43.709";
        public const string ChronicMigraineIntractable = "G43.719";

        public static readonly IReadOnlyDictionary<string, string> Relevant = new Dictionary<string, string>
        {
            [OccipitalNeuralgia] = "Occipital neuralgia",
            [CervicogenicHeadache] = "Cervicogenic headache",
            [ChronicMigraineNotIntractable] = "Chronic migraine without aura, not intractable, without status migrainosus",
            [ChronicMigraineIntractable] = "Chronic migraine without aura, intractable, without status migrainosus",
        };
    }

    /// <summary>Codes of the project CodeSystem (concepts with no verified standard code).</summary>
    public static class Codes
    {
        public const string OccipitalNerveRhizotomy = "occipital-nerve-rhizotomy";
        public const string OccipitalNeurectomy = "occipital-neurectomy";
        public const string OccipitalNerveCoagulation = "occipital-nerve-coagulation";
        public const string OccipitalNerveBlock = "occipital-nerve-block";

        public const string GreaterOccipitalNerve = "greater-occipital-nerve";
        public const string LesserOccipitalNerve = "lesser-occipital-nerve";
        public const string ThirdOccipitalNerve = "third-occipital-nerve";

        public const string Neurectomy = "neurectomy";
        public const string Coagulation = "coagulation";

        public const string BipolarElectrocautery = "bipolar-electrocautery";
        public const string Radiofrequency = "radiofrequency";

        public const string StumpBuriedInMuscle = "stump-buried-in-muscle";
        public const string StumpCauterized = "stump-cauterized";
        public const string StumpLigated = "stump-ligated";
        public const string StumpLeftInSitu = "stump-left-in-situ";

        public const string FindingEntrapped = "nerve-entrapped";
        public const string FindingThickened = "nerve-thickened";
        public const string FindingInflamed = "nerve-inflamed";
        public const string FindingNormal = "nerve-normal";

        public const string DispositionHomeSameDay = "home-same-day";
        public const string DispositionShortStay = "short-stay-admission";

        public const string OperatingMicroscope = "operating-microscope";
        public const string SurgicalLoupes = "surgical-loupes";

        public const string ScalpNumbness = "scalp-numbness-or-tingling";
        public const string Infection = "infection";
        public const string Bleeding = "bleeding";
        public const string AdjacentStructureDamage = "adjacent-structure-damage";
        public const string NoComplications = "no-complications";
    }

    /// <summary>One concept of the project CodeSystem, defined in words, with the group it belongs to (a ValueSet).</summary>
    public sealed record ProjectConcept(string Code, string Display, string Definition, string Group);

    /// <summary>
    /// The project CodeSystem as published: <c>profiles/CodeSystem-rhizotomy.json</c> is the source (embedded in this
    /// assembly); every call returns a new copy. A nerve, technique or procedure concept is added there, not in code.
    /// </summary>
    public static CodeSystem CodeSystem() => (CodeSystem)PublishedCodeSystem.Value.DeepCopy();

    private static readonly Lazy<CodeSystem> PublishedCodeSystem = new(() =>
    {
        using var stream = typeof(Known).Assembly.GetManifestResourceStream("CodeSystem-rhizotomy.json")
            ?? throw new InvalidOperationException("The project CodeSystem is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return new FhirJsonDeserializer(new DeserializerSettings())
            .Deserialize<CodeSystem>(reader.ReadToEnd());
    });

    /// <summary>The project CodeSystem's concepts (read from <see cref="CodeSystem"/>), each with its <c>group</c> property.</summary>
    public static readonly IReadOnlyList<ProjectConcept> Concepts = [.. PublishedCodeSystem.Value.Concept.Select(c => new ProjectConcept(
        c.Code!, c.Display ?? c.Code!, c.Definition ?? string.Empty, PropertyValues(c, "group").Single()))];

    /// <summary>
    /// The procedure concept that codes <paramref name="technique"/> done on <paramref name="nerve"/>: the concept whose
    /// <c>technique</c> and <c>nerve</c> properties name both (occipital neurectomy for a greater occipital nerve cut), or null.
    /// </summary>
    public static ProjectConcept? ProcedureFor(string nerve, string technique)
    {
        var concept = PublishedCodeSystem.Value.Concept.FirstOrDefault(c =>
            PropertyValues(c, "technique").Contains(technique) && PropertyValues(c, "nerve").Contains(nerve));
        return concept is null ? null : Concepts.First(c => c.Code == concept.Code);
    }

    private static IEnumerable<string> PropertyValues(CodeSystem.ConceptDefinitionComponent concept, string property) =>
        concept.Property.Where(p => p.Code == property).Select(p => p.Value).OfType<Code>().Select(v => v.Value).OfType<string>();
}
