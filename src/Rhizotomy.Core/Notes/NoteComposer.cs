using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Profiles;
using static Rhizotomy.Core.Notes.NoteWording;

namespace Rhizotomy.Core.Notes;

/// <summary>Site configuration the composer applies.</summary>
/// <param name="Coding">The site's coding table (nerve, technique, approach to a suggested code and laterality modifier); the product ships it empty.</param>
/// <param name="Language">Language of the note (Composition.language).</param>
public sealed record NoteComposerOptions(CodingTable? Coding = null, string Language = "en-US");

/// <summary>One resource of a composed note with its transaction identity.</summary>
/// <param name="FullUrl"><c>urn:uuid</c> derived from the note id: the same note always gets the same one.</param>
/// <param name="IfNoneExist">Search that finds the resource if an earlier attempt already wrote it.</param>
public sealed record ComposedEntry(string FullUrl, Resource Resource, string IfNoneExist);

/// <summary>The resources one signed note writes, and its renderings.</summary>
public sealed class ComposedNote
{
    internal ComposedNote(IReadOnlyList<ComposedEntry> entries, string text, string html)
    {
        Entries = entries;
        Text = text;
        Html = html;
    }

    /// <summary>In write order: the source QuestionnaireResponse (when given), Procedures, Composition, DocumentReference, Provenance.</summary>
    public IReadOnlyList<ComposedEntry> Entries { get; }
    /// <summary>The whole note as plain text (also the DocumentReference's text/plain content).</summary>
    public string Text { get; }
    /// <summary>The whole note as an HTML page (also the DocumentReference's text/html content).</summary>
    public string Html { get; }

    public IEnumerable<Resource> Resources => Entries.Select(e => e.Resource);
    public IReadOnlyList<Procedure> Procedures => [.. Resources.OfType<Procedure>()];
    public Composition Composition => Resources.OfType<Composition>().Single();
    public DocumentReference DocumentReference => Resources.OfType<DocumentReference>().Single();
    public Provenance Provenance => Resources.OfType<Provenance>().Single();
    public QuestionnaireResponse? Source => Resources.OfType<QuestionnaireResponse>().SingleOrDefault();

    /// <summary>
    /// A transaction Bundle of copies of every resource: POST with <c>ifNoneExist</c> on the note
    /// identifier, so sending it again after a lost answer creates nothing twice.
    /// </summary>
    public Bundle ToTransactionBundle() => new()
    {
        Type = Bundle.BundleType.Transaction,
        Entry = [.. Entries.Select(e => new Bundle.EntryComponent
        {
            FullUrl = e.FullUrl,
            Resource = (Resource)e.Resource.DeepCopy(),
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = e.Resource.TypeName, IfNoneExist = e.IfNoneExist },
        })],
    };
}

/// <summary>
/// Turns a completed <see cref="OperativeNote"/> into the resources to write. Pure and
/// deterministic: the same note (and source) always gives the same resources, ids and text.
/// One Procedure per nerve and side, because technique, findings and laterality are per nerve and
/// EHR procedure lists, billing and later outcome follow-up work per nerve and side.
/// </summary>
public sealed class NoteComposer(NoteComposerOptions? options = null)
{
    private readonly NoteComposerOptions _options = options ?? new NoteComposerOptions();

    /// <summary>Composes the note; <paramref name="source"/> is the completed template it was read from (copied, never changed).</summary>
    public ComposedNote Compose(OperativeNote note, QuestionnaireResponse? source = null)
    {
        ArgumentNullException.ThrowIfNull(note);
        if (note.Treatments.Count == 0) throw new ArgumentException("The note names no treated nerve.", nameof(note));
        var duplicate = note.Treatments.GroupBy(t => (t.Nerve, t.Side)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException("The note treats the same nerve on the same side twice.", nameof(note));

        var noteId = note.Context.NoteId;
        var document = NoteDocument.From(note);
        var text = NoteRendering.Text(document);
        var html = NoteRendering.Html(document);
        var entries = new List<ComposedEntry>();

        string? sourceUrl = null;
        if (source is not null)
        {
            var response = (QuestionnaireResponse)source.DeepCopy();
            response.Id = null;
            response.Meta = new Meta { Profile = [Known.Profiles.QuestionnaireResponse] };
            // Every resource of the note carries the note's own id, whatever the draft carried, so
            // one search finds all of them and a retry is recognised.
            response.Identifier = NoteIdentifier(noteId);
            sourceUrl = UrnFor(noteId, "questionnaireresponse");
            entries.Add(new(sourceUrl, response, IdentifierSearch(noteId)));
        }

        var procedures = note.Treatments.Select(t =>
        {
            var key = $"procedure-{Side(t.Side)}-{NerveCode(t.Nerve)}";
            var identifier = $"{noteId}-{key}";
            return new ComposedEntry(UrnFor(noteId, key), Procedure(note, t, identifier), IdentifierSearch(identifier));
        }).ToList();
        entries.AddRange(procedures);

        var composition = Composition(note, document, procedures.Select(p => p.FullUrl).ToList());
        entries.Add(new(UrnFor(noteId, "composition"), composition, IdentifierSearch(noteId)));
        entries.Add(new(UrnFor(noteId, "documentreference"), DocumentReference(note, document, text, html), IdentifierSearch(noteId)));

        var provenance = Provenance(note, entries.Select(e => e.FullUrl).ToList(), sourceUrl);
        entries.Add(new(UrnFor(noteId, "provenance"), provenance, $"_tag={Known.NoteIdentifierSystem}|{SearchValue(noteId)}"));
        return new ComposedNote(entries, text, html);
    }

    /// <summary>A <c>urn:uuid</c> that depends only on the note id and the key (name-based, SHA-256, RFC 9562 version 8).</summary>
    public static string UrnFor(string noteId, string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("rhizotomy-note\n" + noteId + "\n" + key));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return "urn:uuid:" + new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString("D");
    }

    private static string IdentifierSearch(string value) => $"identifier={Known.NoteIdentifierSystem}|{SearchValue(value)}";

    // FHIR search escapes | , $ and \ in token values with a backslash; the query string then
    // percent-encodes whatever a URL cannot carry. Ordinary note ids come out unchanged.
    internal static string SearchValue(string value) => Uri.EscapeDataString(
        value.Replace("\\", "\\\\").Replace("|", "\\|").Replace(",", "\\,").Replace("$", "\\$"));

    private static Identifier NoteIdentifier(string value) => new() { System = Known.NoteIdentifierSystem, Value = value, Use = Identifier.IdentifierUse.Official };

    private static ResourceReference Reference(Ref reference) => new(reference.Reference, reference.Display);

    private static ResourceReference? OptionalReference(Ref? reference) => reference is null ? null : Reference(reference);

    private static Period Performed(OperativeNote note) => new(new FhirDateTime(note.PerformedStart), new FhirDateTime(note.PerformedEnd));

    private static CodeableConcept ProjectConcept(string code, string? text = null) =>
        new(Known.ProjectCodeSystem, code, Display(code), text);

    private static CodeableConcept ToCodeableConcept(Concept concept)
    {
        var result = new CodeableConcept { Text = concept.Text };
        if (concept.System is not null && concept.Code is not null)
            result.Coding.Add(new Coding(concept.System, concept.Code, concept.System == Known.Systems.Icd10Cm && Known.Icd10Cm.Relevant.TryGetValue(concept.Code, out var display) ? display : null));
        return result;
    }

    private Procedure Procedure(OperativeNote note, NerveTreatment treatment, string identifier)
    {
        // What the template says (code, body site, complications, the team, any element a site maps) comes from its SDC
        // extraction; the composer adds what the launch and the note's wording give.
        var procedure = treatment.Extracted is { } extracted ? (Procedure)extracted.DeepCopy() : FromModel(note, treatment);
        var code = procedure.Code ??= new CodeableConcept();
        code.Text = ProcedureTitle(treatment);
        var bilateral = note.Treatments.Any(t => t.Side != treatment.Side && t.Nerve == treatment.Nerve && t.Technique == treatment.Technique
            && t.Coagulation?.Method == treatment.Coagulation?.Method);
        var suggestion = _options.Coding?.Suggest(treatment, note.ApproachKind, bilateral);
        if (suggestion is { } s) code.Coding.Add(new Coding(_options.Coding!.System, s.Row.Code, s.Row.Display));

        procedure.Meta = new Meta { Profile = [Known.Profiles.Procedure] };
        procedure.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = NoteRendering.Div(Technique(treatment), Findings(treatment)) };
        procedure.Identifier = [NoteIdentifier(identifier)];
        procedure.Status = EventStatus.Completed;
        procedure.Subject = Reference(note.Context.Patient);
        procedure.Encounter = OptionalReference(note.Context.Encounter);
        procedure.Performed = Performed(note);
        procedure.Performer.Insert(0, new Procedure.PerformerComponent { Actor = Reference(note.Context.Surgeon), Function = new CodeableConcept { Text = "Primary surgeon" } });

        // The diagnoses on this side (or without a side): a diagnosis of the other side is never cited as the reason.
        foreach (var diagnosis in note.PreoperativeDiagnoses.Where(d => d.Side is null || d.Side == treatment.Side))
        {
            if (diagnosis.Condition is not null) procedure.ReasonReference.Add(Reference(diagnosis.Condition));
            else procedure.ReasonCode.Add(ToCodeableConcept(diagnosis.Concept));
        }

        if (!string.IsNullOrWhiteSpace(note.FollowUp)) procedure.FollowUp.Add(new CodeableConcept { Text = note.FollowUp });
        procedure.Note.Add(new Annotation { Text = new Markdown(Technique(treatment)) });
        if (suggestion is { } coding)
            procedure.Note.Add(new Annotation { Text = new Markdown($"Coding support (site table, for the coder to review): {coding.Row.Code}" + (coding.Modifier is { } m ? $" with modifier {m}." : ".")) });
        if (!string.IsNullOrWhiteSpace(treatment.FindingsText) || treatment.Findings.Count > 0)
            procedure.Note.Add(new Annotation { Text = new Markdown("Findings: " + Findings(treatment)) });
        return procedure;
    }

    /// <summary>
    /// The template's part of the Procedure for a note built in code (tests, benchmarks), which no template extraction saw:
    /// the same elements, from the clinical model, the code looked up in the project CodeSystem by nerve and technique.
    /// </summary>
    private static Procedure FromModel(OperativeNote note, NerveTreatment treatment)
    {
        var concept = Known.ProcedureFor(NerveCode(treatment.Nerve), TechniqueCode(treatment.Technique));
        var procedure = new Procedure
        {
            Code = concept is null ? null : new CodeableConcept(Known.ProjectCodeSystem, concept.Code, concept.Display, null),
            Performer = [.. (note.Team ?? []).Select(m => new Procedure.PerformerComponent
            {
                Actor = m.Practitioner is { } p ? Reference(p) : new ResourceReference { Display = m.Name },
                Function = m.Role is null ? null : new CodeableConcept { Text = m.Role },
            })],
            BodySite =
            [
                ProjectConcept(NerveCode(treatment.Nerve)),
                new CodeableConcept(Known.Systems.Snomed, LateralityCode(treatment.Side), Capitalise(Side(treatment.Side)), null),
            ],
        };
        var complications = note.Complications;
        var codes = complications.Codes.Where(c => c != Known.Codes.NoComplications && IsProjectCode(c)).ToList();
        if (complications.None || codes.Count == 0) procedure.Complication.Add(ProjectConcept(Known.Codes.NoComplications));
        procedure.Complication.AddRange(codes.Select(c => ProjectConcept(c)));
        if (!string.IsNullOrWhiteSpace(complications.Text)) procedure.Complication[^1].Text = complications.Text;
        return procedure;
    }

    private Composition Composition(OperativeNote note, NoteDocument document, IReadOnlyList<string> procedureUrls)
    {
        var context = note.Context;
        var composition = new Composition
        {
            Meta = new Meta { Profile = [Known.Profiles.OperativeNote] },
            Language = _options.Language,
            Identifier = NoteIdentifier(context.NoteId),
            Status = CompositionStatus.Final,
            Type = new CodeableConcept(Known.Systems.Loinc, Known.Loinc.SurgicalOperationNote, "Surgical operation note", null),
            Subject = Reference(context.Patient),
            Encounter = OptionalReference(context.Encounter),
            DateElement = new FhirDateTime(context.SignedAt),
            Author = [Reference(context.Surgeon)],
            Title = document.Title,
            Attester =
            [
                new Composition.AttesterComponent
                {
                    Mode = Hl7.Fhir.Model.Composition.CompositionAttestationMode.Legal,
                    TimeElement = new FhirDateTime(context.SignedAt),
                    Party = Reference(context.Surgeon),
                },
            ],
            Custodian = Reference(context.Custodian),
        };
        foreach (var section in document.Sections)
        {
            var component = new Composition.SectionComponent
            {
                Title = section.Section.Title,
                Code = new CodeableConcept(Known.Systems.Loinc, section.Section.Code),
                Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = NoteRendering.SectionDiv(section) },
            };
            component.Entry.AddRange(SectionEntries(note, section.Section, procedureUrls));
            composition.Section.Add(component);
        }
        return composition;
    }

    private static IEnumerable<ResourceReference> SectionEntries(OperativeNote note, OperativeNoteSection section, IReadOnlyList<string> procedureUrls)
    {
        if (section == OperativeNoteSections.Description) return procedureUrls.Select(url => new ResourceReference(url));
        IEnumerable<Ref?> refs = section == OperativeNoteSections.PreoperativeDiagnosis ? note.PreoperativeDiagnoses.Select(d => d.Condition)
            : section == OperativeNoteSections.PostoperativeDiagnosis ? note.PostoperativeDiagnoses.Select(d => d.Condition)
            : section == OperativeNoteSections.Indications
                ? note.Indication.Blocks.Select(b => b.Source).Concat(note.Indication.Therapies.Select(t => t.Source)).Concat(note.Indication.Imaging.Select(i => i.Source))
                : [];
        return refs.OfType<Ref>().DistinctBy(r => r.Reference).Select(Reference);
    }

    private static DocumentReference DocumentReference(OperativeNote note, NoteDocument document, string text, string html)
    {
        var context = note.Context;
        var created = new FhirDateTime(context.SignedAt).Value;
        var documentReference = new DocumentReference
        {
            Meta = new Meta { Profile = [Known.Profiles.DocumentReference] },
            Identifier = [NoteIdentifier(context.NoteId)],
            Status = DocumentReferenceStatus.Current,
            DocStatus = CompositionStatus.Final,
            Type = new CodeableConcept(Known.Systems.Loinc, Known.Loinc.SurgicalOperationNote, "Surgical operation note", null),
            Category = [new CodeableConcept(Known.Systems.UsCoreDocumentReferenceCategory, "clinical-note", "Clinical Note", null)],
            Subject = Reference(context.Patient),
            Date = context.SignedAt,
            Author = [Reference(context.Surgeon)],
            Authenticator = Reference(context.Surgeon),
            Custodian = Reference(context.Custodian),
            Description = document.Title,
            Content =
            [
                new DocumentReference.ContentComponent
                {
                    Attachment = new Attachment { ContentType = Known.Media.PlainText, Language = "en-US", Data = Encoding.UTF8.GetBytes(text), Title = document.Title, Creation = created },
                    Format = new Coding(Known.Systems.IheFormatCode, Known.Media.MimeTypeSufficient, "mimeType Sufficient"),
                },
                new DocumentReference.ContentComponent
                {
                    Attachment = new Attachment { ContentType = Known.Media.Html, Language = "en-US", Data = Encoding.UTF8.GetBytes(html), Title = document.Title, Creation = created },
                    Format = new Coding(Known.Systems.IheFormatCode, Known.Media.MimeTypeSufficient, "mimeType Sufficient"),
                },
            ],
            Context = new DocumentReference.ContextComponent { Period = Performed(note) },
        };
        if (context.Encounter is not null) documentReference.Context.Encounter.Add(Reference(context.Encounter));
        return documentReference;
    }

    private static Provenance Provenance(OperativeNote note, IReadOnlyList<string> targets, string? sourceUrl)
    {
        var context = note.Context;
        // Provenance has no identifier element in R4: the note id travels as a tag, searchable with _tag.
        var provenance = new Provenance
        {
            Meta = new Meta
            {
                Profile = [Known.Profiles.Provenance],
                Tag = [new Coding(Known.NoteIdentifierSystem, context.NoteId)],
            },
            Target = [.. targets.Select(t => new ResourceReference(t))],
            Recorded = context.SignedAt,
            Agent =
            [
                new Provenance.AgentComponent
                {
                    Type = new CodeableConcept(Known.Systems.ProvenanceParticipantType, "author", "Author", null),
                    Who = Reference(context.Surgeon),
                    OnBehalfOf = Reference(context.Custodian),
                },
            ],
        };
        if (sourceUrl is not null)
            provenance.Entity.Add(new Provenance.EntityComponent { Role = Hl7.Fhir.Model.Provenance.ProvenanceEntityRole.Source, What = new ResourceReference(sourceUrl) });
        return provenance;
    }
}
