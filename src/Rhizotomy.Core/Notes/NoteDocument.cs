using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Profiles;
using static Rhizotomy.Core.Notes.NoteWording;

namespace Rhizotomy.Core.Notes;

/// <summary>One line of a rendered section: a paragraph, or an item of a list.</summary>
public sealed record NoteLine(string Text, bool Bullet = false);

/// <summary>A section of the note in words, with the section it is in the Composition.</summary>
public sealed record NoteSectionText(OperativeNoteSection Section, IReadOnlyList<NoteLine> Lines);

/// <summary>
/// The note in words: a title, header lines and the sections, all said from the structured
/// answers only. The plain text, the HTML and the Composition narratives are renderings of it.
/// </summary>
public sealed partial record NoteDocument(string Title, IReadOnlyList<string> Header, IReadOnlyList<NoteSectionText> Sections, string Footer)
{
    /// <summary>Says <paramref name="note"/> in words.</summary>
    public static NoteDocument From(OperativeNote note)
    {
        var context = note.Context;
        // Whom the note is about, in words a reader checks: name and birth date, and the encounter it belongs to.
        List<string> header =
        [
            "Patient: " + (context.Patient.Display ?? context.Patient.Reference) + (context.PatientBirthDate is { } born ? ", born " + born : ""),
            "Encounter: " + (context.Encounter is { } encounter ? encounter.Display ?? encounter.Reference : "none recorded"),
            "Surgeon: " + (context.Surgeon.Display ?? context.Surgeon.Reference),
            .. (note.Team ?? []).Select(m => (m.Role ?? "Assistant") + ": " + m.Name),
            $"Start: {DateTime(note.PerformedStart)}; end: {DateTime(note.PerformedEnd)}",
            "Note identifier: " + context.NoteId,
        ];
        if (note.LateEntry)
            header.Insert(0, $"Late entry: written and signed on {DateTime(context.SignedAt)}, after the operation ended on {DateTime(note.PerformedEnd)}.");
        var sections = new List<NoteSectionText>
        {
            new(OperativeNoteSections.PreoperativeDiagnosis, Diagnoses(note.PreoperativeDiagnoses)),
            new(OperativeNoteSections.PostoperativeDiagnosis, Diagnoses(note.PostoperativeDiagnoses)),
            new(OperativeNoteSections.Indications, IndicationLines(note.Indication)),
            new(OperativeNoteSections.Anesthesia, [new(Concept(note.Anesthesia) + ".")]),
            new(OperativeNoteSections.Description, DescriptionLines(note, note.Statements ?? [])),
            new(OperativeNoteSections.Findings, [.. note.Treatments.Select(t => new NoteLine(Findings(t), true))]),
            new(OperativeNoteSections.Complications, ComplicationLines(note.Complications)),
            new(OperativeNoteSections.EstimatedBloodLoss, [new($"{Number(note.EstimatedBloodLossMl)} mL.")]),
            new(OperativeNoteSections.Specimens, SpecimenLines(note)),
        };
        // "None" is a structured answer: written as a surgeon would say it, never as the word itself.
        if (!string.IsNullOrWhiteSpace(note.Implants))
            sections.Add(new(OperativeNoteSections.Implants, [new(OperativeNote.IsNone(note.Implants) ? "No implants." : note.Implants)]));
        if (!string.IsNullOrWhiteSpace(note.Drains))
            sections.Add(new(OperativeNoteSections.Drains, [new(OperativeNote.IsNone(note.Drains) ? "No drains." : note.Drains)]));
        // The disposition is what is planned when the note is signed, not a fact yet.
        sections.Add(new(OperativeNoteSections.Disposition, [new("Planned at signing: " + Display(note.Disposition).ToLowerInvariant() + ".")]));
        sections.Add(new(OperativeNoteSections.PlanOfTreatment, PlanLines(note)));
        AddStatements(sections, [.. (note.Statements ?? []).Where(s => s.SectionCode != OperativeNoteSections.Description.Code)]);
        var footer = $"Electronically signed by {context.Surgeon.Display ?? context.Surgeon.Reference} on {DateTime(context.SignedAt)}.";
        // The title names the operation done (Composition.title, DocumentReference.description, the heading).
        return new NoteDocument(OperationTitle(note.Treatments), header, [.. sections.Select(Tidy)], footer);
    }

    /// <summary>
    /// A section as a surgeon would write it: the surgeon's own line breaks kept (each line its own paragraph), no doubled
    /// punctuation where a phrase's full stop meets an answer's, and nothing said twice.
    /// </summary>
    private static NoteSectionText Tidy(NoteSectionText section)
    {
        var lines = new List<NoteLine>();
        var said = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in section.Lines)
        {
            var parts = line.Text.Split('\n').Select(p => Punctuation(p.Trim())).Where(p => p.Length > 0).ToList();
            for (var i = 0; i < parts.Count; i++)
            {
                if (said.Add(parts[i]))
                {
                    lines.Add(new NoteLine(parts[i], line.Bullet && i == 0));
                }
            }
        }
        return section with { Lines = lines };
    }

    private static string Punctuation(string text)
    {
        text = DoubledStop().Replace(text, ".");
        text = StopAfterMark().Replace(text, "$1");
        return CommaBeforeStop().Replace(text, ".");
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<!\.)\.\s*\.(?!\.)", System.Text.RegularExpressions.RegexOptions.None, 100)]
    private static partial System.Text.RegularExpressions.Regex DoubledStop();

    [System.Text.RegularExpressions.GeneratedRegex(@"([!?])\.", System.Text.RegularExpressions.RegexOptions.None, 100)]
    private static partial System.Text.RegularExpressions.Regex StopAfterMark();

    [System.Text.RegularExpressions.GeneratedRegex(@"[,;:]\s*\.", System.Text.RegularExpressions.RegexOptions.None, 100)]
    private static partial System.Text.RegularExpressions.Regex CommaBeforeStop();

    /// <summary>Template items beyond the clinical model, each in its section (created, in the Operative Note's order, when the note has none yet).</summary>
    private static void AddStatements(List<NoteSectionText> sections, IReadOnlyList<NoteStatement> statements)
    {
        foreach (var group in statements.GroupBy(s => s.SectionCode))
        {
            var lines = group.Select(s => new NoteLine(s.Text)).ToList();
            var index = sections.FindIndex(s => s.Section.Code == group.Key);
            if (index >= 0)
            {
                sections[index] = sections[index] with { Lines = [.. sections[index].Lines, .. lines] };
                continue;
            }
            var section = OperativeNoteSections.All.First(s => s.Code == group.Key);
            var order = OperativeNoteSections.All.ToList();
            var at = sections.FindIndex(s => order.IndexOf(s.Section) > order.IndexOf(section));
            sections.Insert(at < 0 ? sections.Count : at, new NoteSectionText(section, lines));
        }
    }

    private static List<NoteLine> Diagnoses(IReadOnlyList<Diagnosis> diagnoses) =>
        diagnoses.Count == 0 ? [new("None recorded.")] : [.. diagnoses.Select(d => new NoteLine(Diagnosis(d), true))];

    private static List<NoteLine> IndicationLines(Indication indication)
    {
        var lines = new List<NoteLine>();
        if (!string.IsNullOrWhiteSpace(indication.Summary)) lines.Add(new(indication.Summary));
        lines.Add(new(indication.Blocks.Count == 0 ? "Diagnostic nerve blocks: none recorded." : "Diagnostic nerve blocks:"));
        lines.AddRange(indication.Blocks.Select(b => new NoteLine(Block(b), true)));
        lines.Add(new(indication.Therapies.Count == 0 ? "Conservative treatment tried: none recorded." : "Conservative treatment tried:"));
        lines.AddRange(indication.Therapies.Select(t => new NoteLine(Therapy(t), true)));
        lines.Add(new(indication.Imaging.Count == 0 ? "Imaging: none recorded." : "Imaging:"));
        lines.AddRange(indication.Imaging.Select(i => new NoteLine(NoteWording.Imaging(i), true)));
        return lines;
    }

    /// <summary>
    /// The procedure in the order it was done: consent, what was done before the nerves (the template's sentences: time-out,
    /// preparation, the approach's details), the approach, the nerves, then closing (the template's sentences after the
    /// nerves) and the teaching physician's statement.
    /// </summary>
    private static List<NoteLine> DescriptionLines(OperativeNote note, IReadOnlyList<NoteStatement> statements)
    {
        IEnumerable<NoteLine> At(StatementPlace place) =>
            statements.Where(s => s.SectionCode == OperativeNoteSections.Description.Code && s.Place == place).Select(s => new NoteLine(s.Text));
        var lines = new List<NoteLine>
        {
            new(note.ConsentObtained ? "Informed consent was obtained." : "Informed consent is not recorded."),
        };
        if (note.RisksDiscussed.Count > 0)
            lines.Add(new("Risks discussed: " + string.Join(", ", note.RisksDiscussed.Select(r => Display(r).ToLowerInvariant())) + "."));
        lines.AddRange(At(StatementPlace.BeforeTreatments));
        lines.Add(new(Sentence("Approach: " + note.Approach)));
        if (!string.IsNullOrWhiteSpace(note.Magnification)) lines.Add(new("Magnification: " + Display(note.Magnification).ToLowerInvariant() + "."));
        lines.AddRange(note.Treatments.Select(t => new NoteLine(Technique(t), true)));
        lines.AddRange(At(StatementPlace.AfterTreatments));
        lines.AddRange(At(StatementPlace.Team));
        if (!string.IsNullOrWhiteSpace(note.AdditionalNotes)) lines.Add(new("Additional notes: " + note.AdditionalNotes));
        return lines;
    }

    /// <summary>A surgeon's text as a sentence: ends with a full stop unless it ends with its own mark.</summary>
    private static string Sentence(string text)
    {
        text = text.TrimEnd();
        return text.Length == 0 || text[^1] is '.' or '!' or '?' ? text : text + ".";
    }

    private static List<NoteLine> ComplicationLines(ComplicationStatement complications)
    {
        var lines = new List<NoteLine>();
        if (complications.None) lines.Add(new("No complications."));
        var coded = complications.Codes.Where(c => c != Known.Codes.NoComplications).Select(c => Display(c).ToLowerInvariant()).ToList();
        if (coded.Count > 0) lines.Add(new("Complications: " + string.Join(", ", coded) + "."));
        if (!string.IsNullOrWhiteSpace(complications.Text)) lines.Add(new(complications.Text));
        if (lines.Count == 0) lines.Add(new("Not recorded."));
        return lines;
    }

    private static List<NoteLine> SpecimenLines(OperativeNote note)
    {
        var lines = note.Treatments
            .Where(t => t.Neurectomy?.SpecimenSentToPathology == true)
            .Select(t => new NoteLine($"{Target(t)} segment ({Number(t.Neurectomy!.SegmentLengthMm)} mm) sent to pathology.", true))
            .ToList();
        if (!string.IsNullOrWhiteSpace(note.SpecimensText)) lines.Add(new(note.SpecimensText));
        if (lines.Count == 0) lines.Add(new("No specimens."));
        return lines;
    }

    private static List<NoteLine> PlanLines(OperativeNote note)
    {
        var lines = note.Plan.Select(p => new NoteLine(Capitalise(Display(p)), true)).ToList();
        if (!string.IsNullOrWhiteSpace(note.FollowUp)) lines.Add(new("Follow-up: " + note.FollowUp));
        if (lines.Count == 0) lines.Add(new("None recorded."));
        return lines;
    }
}
