using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using static Rhizotomy.Core.Profiles.ElementBuilder;

namespace Rhizotomy.Core.Profiles;

/// <summary>
/// Builds the project's conformance resources (ValueSets, StructureDefinition differentials) from
/// <see cref="Known"/>, beside the project CodeSystem, which is data. They derive from base FHIR R4 and restate what US Core
/// 6.1.0 and the C-CDA on FHIR 1.2.0 Operative Note require, so the product needs no published
/// package at run time (see profiles/README.md). Snapshots are added once by the validator (<c>Rhizotomy.Core.Validation.ProfileValidator</c>).
/// </summary>
public static class ConformanceResources
{
    /// <summary>Property of every project concept that says it still needs terminology review.</summary>
    public const string ReviewStatusProperty = "review-status";
    /// <summary>Value of <see cref="ReviewStatusProperty"/> until a terminologist has mapped the concept.</summary>
    public const string PendingTerminologyReview = "pending-terminology-review";
    /// <summary>Property of every project concept naming its group (the ValueSet it belongs to).</summary>
    public const string GroupProperty = "group";

    private const string Publisher = "Occipital rhizotomy note project";
    private const string Version = "0.1.0";
    private const string BaseProfile = "http://hl7.org/fhir/StructureDefinition/";
    private const string ConstraintSource = Known.CanonicalBase + "/StructureDefinition/";

    /// <summary>The concept groups of <see cref="Known.Concepts"/>, each one a ValueSet, in first-seen order.</summary>
    public static IReadOnlyList<string> Groups { get; } = Known.Concepts.Select(c => c.Group).Distinct().ToList();

    /// <summary>Every conformance resource, new objects on each call (callers may change them).</summary>
    public static IReadOnlyList<Resource> Build() =>
    [
        ProjectCodeSystem(),
        .. Groups.Select(GroupValueSet),
        LateralityValueSet(),
        DiagnosisValueSet(),
        ProcedureProfile(),
        OperativeNoteProfile(),
        DocumentReferenceProfile(),
        ProvenanceProfile(),
        QuestionnaireResponseProfile(),
        PrefillSourceExtension(),
        NotePhraseExtension(),
        NoteSectionExtension(),
    ];

    /// <summary>Our profile for a resource type, or null when we have none.</summary>
    public static string? ProfileFor(string resourceType) => resourceType switch
    {
        "Procedure" => Known.Profiles.Procedure,
        "Composition" => Known.Profiles.OperativeNote,
        "DocumentReference" => Known.Profiles.DocumentReference,
        "Provenance" => Known.Profiles.Provenance,
        "QuestionnaireResponse" => Known.Profiles.QuestionnaireResponse,
        _ => null,
    };

    /// <summary>
    /// The project CodeSystem: not generated, it is the source (<c>profiles/CodeSystem-rhizotomy.json</c>, read by
    /// <see cref="Known.CodeSystem"/>); every concept is defined in words and marked for terminology review.
    /// </summary>
    public static CodeSystem ProjectCodeSystem() => Known.CodeSystem();

    /// <summary>The ValueSet of one concept group of the project CodeSystem.</summary>
    public static ValueSet GroupValueSet(string group)
    {
        var include = new ValueSet.ConceptSetComponent { System = Known.ProjectCodeSystem, Version = Version };
        foreach (var concept in Known.Concepts.Where(c => c.Group == group))
            include.Concept.Add(new ValueSet.ConceptReferenceComponent { Code = concept.Code, Display = concept.Display });
        return NewValueSet(
            group,
            Known.ValueSetFor(group),
            "Rhizotomy" + string.Concat(group.Split('-').Select(p => char.ToUpperInvariant(p[0]) + p[1..])),
            "Occipital rhizotomy " + group.Replace('-', ' ') + " concepts",
            "The '" + group + "' concepts of the project CodeSystem (pending terminology review).",
            include);
    }

    /// <summary>SNOMED CT left and right, the HL7 body-site laterality codes CLINICAL.md verified.</summary>
    public static ValueSet LateralityValueSet()
    {
        var include = new ValueSet.ConceptSetComponent { System = Known.Systems.Snomed };
        include.Concept.Add(new ValueSet.ConceptReferenceComponent { Code = Known.Snomed.Left, Display = "Left" });
        include.Concept.Add(new ValueSet.ConceptReferenceComponent { Code = Known.Snomed.Right, Display = "Right" });
        return NewValueSet("laterality", Known.LateralityValueSet, "RhizotomyLaterality", "Side of a treated occipital nerve",
            "SNOMED CT left (7771000) and right (24028007), as in the HL7 body-site laterality value set. One Procedure names one side.",
            include);
    }

    /// <summary>The verified ICD-10-CM diagnoses that indicate the operation.</summary>
    public static ValueSet DiagnosisValueSet()
    {
        var include = new ValueSet.ConceptSetComponent { System = Known.Systems.Icd10Cm };
        foreach (var (code, display) in Known.Icd10Cm.Relevant)
            include.Concept.Add(new ValueSet.ConceptReferenceComponent { Code = code, Display = display });
        return NewValueSet("occipital-headache-diagnosis", Known.DiagnosisValueSet, "OccipitalHeadacheDiagnosis",
            "Diagnoses indicating occipital nerve rhizotomy",
            "The ICD-10-CM codes verified for this product (CLINICAL.md). Other diagnoses are carried as text or as the site's own codes.",
            include);
    }

    private static ValueSet NewValueSet(string id, string url, string name, string title, string description, ValueSet.ConceptSetComponent include) => new()
    {
        Id = id,
        Url = url,
        Version = Version,
        Name = name,
        Title = title,
        Status = PublicationStatus.Draft,
        Experimental = false,
        Publisher = Publisher,
        Description = description,
        Compose = new ValueSet.ComposeComponent { Include = [include] },
    };

    private static StructureDefinition NewProfile(string id, string url, string name, string title, string type, string description, params ElementDefinition[] elements) => new()
    {
        Id = id,
        Url = url,
        Version = Version,
        Name = name,
        Title = title,
        Status = PublicationStatus.Draft,
        Experimental = false,
        Publisher = Publisher,
        Description = description,
        FhirVersion = FHIRVersion.N4_0_1,
        Kind = StructureDefinition.StructureDefinitionKind.Resource,
        Abstract = false,
        Type = type,
        BaseDefinition = BaseProfile + type,
        Derivation = StructureDefinition.TypeDerivationRule.Constraint,
        Differential = new StructureDefinition.DifferentialComponent { Element = [.. elements] },
    };

    private static Identifier NoteIdentifierPattern() => new() { System = Known.NoteIdentifierSystem };

    private static ElementDefinition[] NoteIdentifierSlice(string type) =>
    [
        El(type + ".identifier", 1, "*").Sliced(ElementDefinition.DiscriminatorType.Value, "system", "The note's business identifier, and any the EHR adds."),
        El(type + ".identifier:note", 1, "1", shortText: "Business identifier of the operative note (idempotent writes)")
            .Defined("The note identifier (system " + Known.NoteIdentifierSystem + "), suffixed per resource where one note writes several of a type. Used for conditional create."),
        El(type + ".identifier:note.system", 1, "1").WithFixed(new FhirUri(Known.NoteIdentifierSystem)),
        El(type + ".identifier:note.value", 1, "1"),
    ];

    /// <summary>One Procedure per nerve and side: what was done, where, why and with what result.</summary>
    public static StructureDefinition ProcedureProfile() => NewProfile(
        "rhizotomy-procedure", Known.Profiles.Procedure, "RhizotomyProcedure", "Occipital nerve rhizotomy procedure", "Procedure",
        "One occipital nerve treated on one side (neurectomy or coagulation). Restates US Core Procedure 6.1.0 (status, code, subject, performed) " +
        "and adds the body site with laterality, the reasons, the performer and an explicit complication statement.",
        [
            El("Procedure").Constrained("rhz-proc-1", "A reason is given: a Condition reference or a coded or textual reason",
                "reasonReference.exists() or reasonCode.exists()", ConstraintSource + "rhizotomy-procedure")
                .Constrained("rhz-time-1", "The start and end of the operation have a time of day (document-only EHRs require times)",
                    "performed.ofType(Period).all(start.toString().contains('T') and end.toString().contains('T'))", ConstraintSource + "rhizotomy-procedure"),
            .. NoteIdentifierSlice("Procedure"),
            El("Procedure.status", 1, "1").WithFixed(new Code("completed")),
            El("Procedure.code", 1, "1", shortText: "Project procedure code, plus site-supplied codings (e.g. CPT)")
                .Bound(Known.ValueSetFor("procedure"), BindingStrength.Required, "Project procedure concept; sites add their mapped codings beside it."),
            El("Procedure.subject", 1, "1").References("Patient"),
            El("Procedure.encounter", 0, "1").References("Encounter"),
            El("Procedure.performed[x]", 1, "1", shortText: "Start and end of the operation, with times").OfType("Period"),
            El("Procedure.performed[x].start", 1, "1"),
            El("Procedure.performed[x].end", 1, "1"),
            El("Procedure.performer", 1, "*"),
            El("Procedure.performer.actor", 1, "1").References("Practitioner", "PractitionerRole"),
            El("Procedure.reasonCode", 0, "*").Bound(Known.DiagnosisValueSet, BindingStrength.Extensible, "Diagnosis that indicated the operation."),
            El("Procedure.reasonReference", 0, "*").References("Condition"),
            El("Procedure.bodySite", 2, "*").Sliced(ElementDefinition.DiscriminatorType.Pattern, "$this", "The nerve and its side."),
            El("Procedure.bodySite:nerve", 1, "1", shortText: "The occipital nerve treated")
                .WithPattern(Pattern(Known.ProjectCodeSystem))
                .Bound(Known.ValueSetFor("nerve"), BindingStrength.Required, "Occipital nerve (project concept)."),
            El("Procedure.bodySite:laterality", 1, "1", shortText: "Left or right")
                .WithPattern(Pattern(Known.Systems.Snomed))
                .Bound(Known.LateralityValueSet, BindingStrength.Required, "SNOMED CT left or right."),
            El("Procedure.outcome", 0, "1"),
            El("Procedure.complication", 1, "*", shortText: "Complications, or the explicit no-complications statement")
                .Bound(Known.ValueSetFor("complication"), BindingStrength.Required, "Complication concept, or 'no-complications'."),
            El("Procedure.followUp", 0, "*"),
            El("Procedure.note", 0, "*", shortText: "Technique details as the surgeon recorded them"),
        ]);

    /// <summary>The operative note document: C-CDA Operative Note sections.</summary>
    public static StructureDefinition OperativeNoteProfile()
    {
        var elements = new List<ElementDefinition>
        {
            El("Composition"),
            El("Composition.language", 1, "1"),
            El("Composition.identifier", 1, "1").WithPattern(NoteIdentifierPattern()),
            El("Composition.identifier.value", 1, "1"),
            El("Composition.status", 1, "1").WithFixed(new Code("final")),
            El("Composition.type", 1, "1").WithPattern(Pattern(Known.Systems.Loinc, Known.Loinc.SurgicalOperationNote)),
            El("Composition.subject", 1, "1").References("Patient"),
            El("Composition.encounter", 0, "1").References("Encounter"),
            El("Composition.date", 1, "1"),
            El("Composition.author", 1, "*").References("Practitioner", "PractitionerRole"),
            El("Composition.title", 1, "1"),
            El("Composition.attester", 1, "*").Sliced(ElementDefinition.DiscriminatorType.Value, "mode", "The legal attester (US Realm Header)."),
            El("Composition.attester:legalAttester", 1, "1"),
            El("Composition.attester:legalAttester.mode", 1, "1").WithFixed(new Code("legal")),
            El("Composition.attester:legalAttester.time", 1, "1"),
            El("Composition.attester:legalAttester.party", 1, "1").References("Practitioner", "PractitionerRole"),
            El("Composition.custodian", 1, "1").References("Organization"),
            El("Composition.section", 8, "*").Sliced(ElementDefinition.DiscriminatorType.Value, "code", "C-CDA Operative Note sections, by LOINC section code."),
        };
        foreach (var section in OperativeNoteSections.All)
        {
            var id = "Composition.section:" + section.SliceName;
            elements.Add(El(id, section.Required ? 1 : 0, "1", shortText: section.Title));
            elements.Add(El(id + ".title", 1, "1"));
            elements.Add(El(id + ".code", 1, "1").WithPattern(Pattern(Known.Systems.Loinc, section.Code)));
            elements.Add(El(id + ".text", 1, "1"));
        }
        return NewProfile(
            "rhizotomy-operative-note", Known.Profiles.OperativeNote, "RhizotomyOperativeNote", "Occipital nerve rhizotomy operative note", "Composition",
            "The operative note as a document (LOINC 11504-8) with the sections of the C-CDA on FHIR 1.2.0 Operative Note and the US Realm Header " +
            "participants (author, legal attester, custodian, subject), restated on base R4.",
            [.. elements]);
    }

    /// <summary>The readable note for EHRs that only take documents.</summary>
    public static StructureDefinition DocumentReferenceProfile() => NewProfile(
        "rhizotomy-note-documentreference", Known.Profiles.DocumentReference, "RhizotomyNoteDocumentReference", "Occipital nerve rhizotomy note document",
        "DocumentReference",
        "The whole operative note as a clinical note (US Core category clinical-note, LOINC 11504-8) with a text/plain rendering and optionally an HTML one. " +
        "Restates US Core DocumentReference 6.1.0 and what document-only EHRs require (current/final, author, context period with times).",
        [
            El("DocumentReference").Constrained("rhz-time-1", "The start and end of the operation have a time of day (document-only EHRs require times)",
                "context.period.all(start.toString().contains('T') and end.toString().contains('T'))", ConstraintSource + "rhizotomy-note-documentreference"),
            .. NoteIdentifierSlice("DocumentReference"),
            // current when filed; superseded once an amendment replaces it (the app updates the original where the EHR allows).
            El("DocumentReference.status", 1, "1").Constrained("rhz-status-1", "A filed note is current, or superseded by its amendment",
                "$this = 'current' or $this = 'superseded'", ConstraintSource + "rhizotomy-note-documentreference"),
            El("DocumentReference.docStatus", 1, "1").WithFixed(new Code("final")),
            // 11504-8; 28570-0 "Procedure note" for EHRs that refuse 11504-8 (App:Ehrs:n:NoteType).
            El("DocumentReference.type", 1, "1").Constrained("rhz-type-1", "LOINC 11504-8 Surgical operation note, or 28570-0 Procedure note where the EHR refuses 11504-8",
                $"coding.where(system = '{Known.Systems.Loinc}' and (code = '{Known.Loinc.SurgicalOperationNote}' or code = '{Known.Loinc.ProcedureNote}')).exists()",
                ConstraintSource + "rhizotomy-note-documentreference"),
            El("DocumentReference.category", 1, "*").Sliced(ElementDefinition.DiscriminatorType.Pattern, "$this", "US Core clinical-note category."),
            El("DocumentReference.category:clinicalNote", 1, "1").WithPattern(Pattern(Known.Systems.UsCoreDocumentReferenceCategory, "clinical-note")),
            El("DocumentReference.subject", 1, "1").References("Patient"),
            El("DocumentReference.date", 1, "1"),
            El("DocumentReference.author", 1, "*").References("Practitioner", "PractitionerRole"),
            El("DocumentReference.custodian", 0, "1").References("Organization"),
            El("DocumentReference.content", 1, "*").Sliced(ElementDefinition.DiscriminatorType.Value, "attachment.contentType", "One rendering per media type."),
            El("DocumentReference.content:text", 1, "1", shortText: "The note as plain text (UTF-8)"),
            El("DocumentReference.content:text.attachment.contentType", 1, "1").WithFixed(new Code(Known.Media.PlainText)),
            El("DocumentReference.content:text.attachment.data", 1, "1"),
            El("DocumentReference.content:text.format", 1, "1").WithPattern(new Coding(Known.Systems.IheFormatCode, Known.Media.MimeTypeSufficient)),
            El("DocumentReference.content:html", 0, "1", shortText: "The note as an HTML page (UTF-8)"),
            El("DocumentReference.content:html.attachment.contentType", 1, "1").WithFixed(new Code(Known.Media.Html)),
            El("DocumentReference.content:html.attachment.data", 1, "1"),
            El("DocumentReference.context", 1, "1"),
            El("DocumentReference.context.encounter", 0, "*").References("Encounter"),
            El("DocumentReference.context.period", 1, "1"),
            El("DocumentReference.context.period.start", 1, "1"),
            El("DocumentReference.context.period.end", 1, "1"),
        ]);

    /// <summary>Who wrote the note, on whose behalf, from which filled template.</summary>
    public static StructureDefinition ProvenanceProfile() => NewProfile(
        "rhizotomy-provenance", Known.Profiles.Provenance, "RhizotomyProvenance", "Occipital nerve rhizotomy note provenance", "Provenance",
        "Authorship of every resource the note writes: author = the surgeon, on behalf of the custodian organisation; entity role 'source' = the " +
        "QuestionnaireResponse the note was made from (as SDC advises). Restates US Core Provenance 6.1.0.",
        [
            El("Provenance"),
            El("Provenance.target", 1, "*"),
            El("Provenance.recorded", 1, "1"),
            El("Provenance.agent", 1, "*").Sliced(ElementDefinition.DiscriminatorType.Pattern, "type", "The author (US Core ProvenanceAuthor)."),
            El("Provenance.agent:author", 1, "1"),
            El("Provenance.agent:author.type", 1, "1").WithPattern(Pattern(Known.Systems.ProvenanceParticipantType, "author")),
            El("Provenance.agent:author.who", 1, "1").References("Practitioner", "PractitionerRole"),
            El("Provenance.agent:author.onBehalfOf", 1, "1").References("Organization"),
            El("Provenance.entity", 0, "*"),
            El("Provenance.entity.role", 1, "1"),
            El("Provenance.entity.what", 1, "1"),
        ]);

    /// <summary>The filled template, kept as the source of the note.</summary>
    public static StructureDefinition QuestionnaireResponseProfile() => NewProfile(
        "rhizotomy-questionnaireresponse", Known.Profiles.QuestionnaireResponse, "RhizotomyQuestionnaireResponse", "Occipital nerve rhizotomy template response",
        "QuestionnaireResponse",
        "The completed operative-note template. Restates US Core QuestionnaireResponse 6.1.0 (questionnaire, status, subject, authored, author) on base R4.",
        [
            El("QuestionnaireResponse"),
            El("QuestionnaireResponse.identifier", 1, "1").WithPattern(NoteIdentifierPattern()),
            El("QuestionnaireResponse.identifier.value", 1, "1"),
            El("QuestionnaireResponse.questionnaire", 1, "1"),
            El("QuestionnaireResponse.status", 1, "1"),
            El("QuestionnaireResponse.subject", 1, "1").References("Patient"),
            El("QuestionnaireResponse.encounter", 0, "1").References("Encounter"),
            El("QuestionnaireResponse.authored", 1, "1"),
            El("QuestionnaireResponse.author", 1, "1").References("Practitioner", "PractitionerRole"),
            El("QuestionnaireResponse.item", 0, "*"),
        ]);

    /// <summary>On a prefilled QuestionnaireResponse item (or its repeating group): the chart resource the answer came from.</summary>
    public static StructureDefinition PrefillSourceExtension() => NewExtension(
        "prefill-source", Known.Extensions.PrefillSource, "PrefillSource", "Prefill source",
        "The chart resource (Condition, Procedure, MedicationStatement, DiagnosticReport ...) a prefilled answer was taken from, "
        + "kept while the answer is unchanged so that a reviewer can follow it.",
        "QuestionnaireResponse.item", El("Extension.value[x]", 1, "1").References("Resource"));

    /// <summary>On a template item: how its answer reads in the note.</summary>
    public static StructureDefinition NotePhraseExtension() => NewExtension(
        "note-phrase", Templates.Sdc.NotePhrase, "NotePhrase", "Note phrase",
        "How the item's answer reads in the filed note: {answer} is replaced by the answer(s), {label} by the item's text. "
        + "Without it an answered item is written as \"label: answer.\".",
        "Questionnaire.item", El("Extension.value[x]", 1, "1").OfType("string"));

    /// <summary>On a template item: the C-CDA Operative Note section its answer is written in.</summary>
    public static StructureDefinition NoteSectionExtension() => NewExtension(
        "note-section", Templates.Sdc.NoteSection, "NoteSection", "Note section",
        "The LOINC code of the C-CDA Operative Note section the item's answer is written in; without it, the nearest item code "
        + "that is such a section, else the procedure description.",
        "Questionnaire.item", El("Extension.value[x]", 1, "1").OfType("code"));

    private static StructureDefinition NewExtension(string id, string url, string name, string title, string description, string context, ElementDefinition value)
    {
        var extension = NewProfile(id, url, name, title, "Extension", description,
            El("Extension", mustSupport: false).Defined(description),
            El("Extension.extension", 0, "0", mustSupport: false),
            El("Extension.url", mustSupport: false).WithFixed(new FhirUri(url)),
            value);
        extension.Kind = StructureDefinition.StructureDefinitionKind.ComplexType;
        extension.Context = [new StructureDefinition.ContextComponent { Type = StructureDefinition.ExtensionContextType.Element, Expression = context }];
        return extension;
    }
}
