using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Checks;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Templates;

/// <summary>The note when the response can be signed, and the checks' outcome (warnings included) either way.</summary>
public sealed record NoteReadResult(OperativeNote? Note, OperationOutcome Outcome)
{
    public bool CanSign => Note is not null;
}

/// <summary>
/// Reads a completed template (QuestionnaireResponse) into the clinical model the note composer consumes.
/// The checks before signing run first; a response with any error gives no note, only the outcome that
/// says what to fix. Bad input of any kind becomes OperationOutcome issues, never an exception.
/// </summary>
/// <remarks>
/// Coded answers are carried as codes: findings, stump management, magnification, disposition, risks and
/// complications are project codes (<see cref="Known.Codes"/>); the composer looks up displays in
/// <see cref="Known.Concepts"/>. Answers of items that are disabled (an RF temperature left behind after
/// switching to bipolar) are ignored, as SDC asks.
/// </remarks>
public static class NoteReader
{
    private const int MaxJsonChars = 2 * 1024 * 1024;

    /// <summary>Finds the template the response names in <paramref name="catalog"/>, then reads it.</summary>
    public static NoteReadResult Read(TemplateCatalog catalog, QuestionnaireResponse? response, NoteContext context, CaseEvidence evidence)
    {
        var template = catalog.Find(response?.Questionnaire);
        if (response is null || template is null)
        {
            return Failed("unknown-template", "QuestionnaireResponse.questionnaire",
                response is null ? "No response was given." : "This response answers a template that is not installed here.");
        }
        return Read(template, response, context, evidence, catalog.CodeSystem);
    }

    /// <summary>Reads <paramref name="response"/> as an answer to <paramref name="template"/>; extraction looks codes up in <paramref name="codeSystem"/> (default: the project's).</summary>
    public static NoteReadResult Read(Questionnaire template, QuestionnaireResponse response, NoteContext context, CaseEvidence evidence, CodeSystem? codeSystem = null)
    {
        var (tree, issues) = NoteChecks.Run(template, response, evidence, context.SignedAt);
        var outcome = issues.ToOutcome();
        if (tree is null || issues.HasErrors)
        {
            return new NoteReadResult(null, outcome);
        }
        try
        {
            return new NoteReadResult(Build(tree, context, codeSystem ?? Known.CodeSystem()) with { LateEntry = issues.Has(TemplateConstraints.LateEntryRule) }, outcome);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Failed("unexpected-error", "QuestionnaireResponse",
                "This response passed the checks but could not be read into a note. Please report it.");
        }
    }

    /// <summary>Parses JSON that should be a QuestionnaireResponse; on failure the outcome says why (without echoing the content).</summary>
    public static bool TryParse(string? json, out QuestionnaireResponse? response, out OperationOutcome? outcome)
    {
        response = null;
        outcome = null;
        string? problem = null;
        if (string.IsNullOrWhiteSpace(json))
        {
            problem = "The body is empty; a QuestionnaireResponse was expected.";
        }
        else if (json.Length > MaxJsonChars)
        {
            problem = "The body is too large to be an operative note.";
        }
        else
        {
            try
            {
                var resource = new FhirJsonDeserializer(new DeserializerSettings()).DeserializeResource(json);
                response = resource as QuestionnaireResponse;
                problem = response is null ? $"The body is a {resource.TypeName}, not a QuestionnaireResponse." : null;
            }
            catch (DeserializationFailedException)
            {
                problem = "The body is not a valid FHIR QuestionnaireResponse in JSON.";
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or System.Text.Json.JsonException)
            {
                problem = "The body is not valid JSON.";
            }
        }
        if (problem is null)
        {
            return true;
        }
        outcome = Failed("invalid-json", "QuestionnaireResponse", problem).Outcome;
        return false;
    }

    private static NoteReadResult Failed(string check, string expression, string text)
    {
        var issues = new IssueList();
        issues.Error(OperationOutcome.IssueType.Invalid, check, expression, text);
        return new NoteReadResult(null, issues.ToOutcome());
    }

    private static OperativeNote Build(ResponseTree tree, NoteContext context, CodeSystem codeSystem)
    {
        var preop = Diagnoses(tree, LinkIds.PreopDiagnosis, LinkIds.PreopDiagnosisCode, LinkIds.PreopDiagnosisSide);
        var postop = Diagnoses(tree, LinkIds.PostopDiagnosis, LinkIds.PostopDiagnosisCode, LinkIds.PostopDiagnosisSide);
        // The structured part of each nerve-side's Procedure, by SDC definition-based extraction from the template.
        var extracted = Extraction.Run(tree, new Dictionary<string, IReadOnlyList<Base>> { [Sdc.CodeSystemVariable] = [codeSystem] });
        var treatments = NoteChecks.TreatedNerves(tree)
            .Select(t => Treatment(t.Ids, t.Group) with { Extracted = extracted.Where(e => e.Group == t.Group).Select(e => e.Resource).OfType<Procedure>().FirstOrDefault() })
            .ToList();
        var labels = NoteChecks.TreatedNerves(tree).ToDictionary(t => (t.Ids.Nerve, t.Ids.Side), t => t.Ids.Label);
        var complicationCodes = tree.First(LinkIds.Complication)?.Codings.Select(c => c.Code).OfType<string>().ToList() ?? [];
        var anaesthesia = tree.First(LinkIds.Anaesthesia);

        return new OperativeNote(
            Context: context,
            PerformedStart: NoteChecks.ParseInstant(tree.First(LinkIds.PerformedStart)?.DateTimeText)!.Value,
            PerformedEnd: NoteChecks.ParseInstant(tree.First(LinkIds.PerformedEnd)?.DateTimeText)!.Value,
            PreoperativeDiagnoses: preop,
            PostoperativeDiagnoses: postop.Count > 0 ? postop : preop,
            Indication: new Indication(
                [.. tree.All(LinkIds.PriorBlock).Select(Block)],
                [.. tree.All(LinkIds.Therapy).Select(Therapy)],
                [.. tree.All(LinkIds.Imaging).Select(Imaging)],
                tree.First(LinkIds.IndicationSummary)?.Text),
            ConsentObtained: tree.First(LinkIds.ConsentObtained)?.Bool == true,
            RisksDiscussed: [.. tree.First(LinkIds.RisksDiscussed)?.Codings.Select(c => c.Code).OfType<string>() ?? []],
            Anesthesia: ConceptOf(anaesthesia) ?? new Concept(null, null, "Not recorded"),
            Approach: tree.First(LinkIds.Incision)?.Text ?? string.Empty,
            Magnification: tree.First(LinkIds.Magnification)?.Coding?.Code,
            Treatments: treatments,
            // What the surgeon typed; the segments sent are said from the nerve answers, in one place only.
            SpecimensText: tree.First(LinkIds.Specimens)?.Text,
            Implants: NoneOrText(tree.First(LinkIds.Implants)),
            Drains: NoneOrText(tree.First(LinkIds.Drains)),
            Complications: new ComplicationStatement(
                complicationCodes.Contains(Known.Codes.NoComplications),
                [.. complicationCodes.Where(c => c != Known.Codes.NoComplications)],
                tree.First(LinkIds.ComplicationsText)?.Text),
            EstimatedBloodLossMl: tree.First(LinkIds.EstimatedBloodLoss)?.Decimal ?? 0m,
            Disposition: tree.First(LinkIds.Disposition)?.Coding?.Code ?? string.Empty,
            Plan: [.. Plan(tree)],
            FollowUp: tree.First(LinkIds.FollowUp)?.Text,
            AdditionalNotes: tree.First(LinkIds.AdditionalNotes)?.Text,
            Statements: Notes.TemplateStatements.From(tree),
            Team: [.. Team(tree)],
            ApproachKind: tree.First("approach-kind")?.Text?.Trim().ToLowerInvariant());
    }

    /// <summary>
    /// The operating team, found by SDC definition-based extraction rather than by linkId: each group whose
    /// <c>definition</c> is <c>Procedure.performer</c>, its <c>.actor</c> item the name (or the Practitioner chosen) and its
    /// <c>.function</c> item the role.
    /// </summary>
    private static IEnumerable<TeamMember> Team(ResponseTree tree)
    {
        foreach (var member in ResponseTree.Descendants(tree.Roots).Where(n => n.Enabled && n.Definition.Definition == Notes.TemplateStatements.Performer))
        {
            var actor = member.Children.FirstOrDefault(c => c.Definition.Definition == Notes.TemplateStatements.Performer + ".actor");
            var role = member.Children.FirstOrDefault(c => c.Definition.Definition == Notes.TemplateStatements.Performer + ".function");
            var chosen = actor?.Answers.OfType<ResourceReference>().FirstOrDefault(r => !string.IsNullOrWhiteSpace(r.Reference));
            var name = chosen?.Display ?? actor?.Text?.Trim();
            if (!string.IsNullOrEmpty(name))
            {
                yield return new TeamMember(name, role?.Text ?? role?.Coding?.Display, chosen?.Reference is { } reference ? new Ref(reference, chosen.Display) : null);
            }
        }
    }

    private static List<Diagnosis> Diagnoses(ResponseTree tree, string groupId, string codeId, string sideId) =>
        [.. tree.All(groupId).Select(g => (Group: g, Concept: ConceptOf(g.Child(codeId))))
            .Where(x => x.Concept is not null)
            .Select(x => new Diagnosis(x.Concept!, TemplateAnswers.SideOf(x.Group.Child(sideId)?.Coding), SourceOf(x.Group, x.Group.Child(codeId))))];

    private static PriorBlock Block(ResponseNode b)
    {
        var relief = b.Child(LinkIds.PriorBlockReliefPercent)?.Int;
        return new PriorBlock(
            b.Child(LinkIds.PriorBlockDate)?.DateText,
            TemplateAnswers.NerveOf(b.Child(LinkIds.PriorBlockNerve)?.Coding),
            TemplateAnswers.SideOf(b.Child(LinkIds.PriorBlockSide)?.Coding),
            relief,
            b.Child(LinkIds.PriorBlockReliefText)?.Text,
            SourceOf(b));
    }

    private static TherapyTried Therapy(ResponseNode t)
    {
        var kind = t.Child(LinkIds.TherapyKind);
        return new TherapyTried(
            kind?.Text ?? kind?.Coding?.Code ?? "other",
            t.Child(LinkIds.TherapyText)?.Text ?? string.Empty,
            t.Child(LinkIds.TherapyPeriod)?.Text,
            t.Child(LinkIds.TherapyFailed)?.Bool,
            SourceOf(t));
    }

    private static Clinical.Imaging Imaging(ResponseNode i) =>
        new(i.Child(LinkIds.ImagingText)?.Text ?? string.Empty, i.Child(LinkIds.ImagingDate)?.DateText, SourceOf(i));

    private static NerveTreatment Treatment(NerveSide ids, ResponseNode group)
    {
        var neurectomy = group.Child(ids.Technique)?.Coding?.Code == Known.Codes.Neurectomy;
        NeurectomyDetails? cut = null;
        CoagulationDetails? coagulation = null;
        if (neurectomy)
        {
            cut = new NeurectomyDetails(
                group.Child(ids.SegmentLength)?.Decimal ?? 0m,
                group.Child(ids.Stump)?.Coding?.Code ?? string.Empty,
                group.Child(ids.SpecimenSent)?.Bool == true);
        }
        else
        {
            var rf = group.Child(ids.EnergyMethod)?.Coding?.Code == Known.Codes.Radiofrequency;
            coagulation = new CoagulationDetails(
                rf ? EnergyMethod.Radiofrequency : EnergyMethod.BipolarElectrocautery,
                rf ? group.Child(ids.RfTemperature)?.Decimal : null,
                rf ? group.Child(ids.RfDuration)?.Decimal : null,
                rf ? group.Child(ids.RfLesions)?.Int : null);
        }
        return new NerveTreatment(
            ids.Nerve,
            ids.Side,
            neurectomy ? Technique.Neurectomy : Technique.Coagulation,
            [.. group.Child(ids.Findings)?.Codings.Select(c => c.Code).OfType<string>() ?? []],
            group.Child(ids.FindingsText)?.Text,
            cut,
            coagulation,
            group.Child(ids.LateralityReason)?.Text);
    }

    /// <summary>
    /// The implants or drains answer: the template's "None" option (or the same word typed, with or
    /// without a full stop) is the structured "there were none", anything else is the surgeon's words.
    /// </summary>
    private static string? NoneOrText(ResponseNode? node)
    {
        var text = node?.Text?.Trim();
        if (string.IsNullOrEmpty(text)) return null;
        return string.Equals(text.TrimEnd('.'), TemplateAnswers.None, StringComparison.OrdinalIgnoreCase) ? OperativeNote.NoneRecorded : text;
    }

    private static IEnumerable<string> Plan(ResponseTree tree)
    {
        foreach (var (linkId, label) in new[]
        {
            (LinkIds.PlanPain, "Pain management"),
            (LinkIds.PlanWound, "Wound care and infection prevention"),
            (LinkIds.PlanActivity, "Return to activity"),
        })
        {
            if (tree.First(linkId)?.Text is { } text)
            {
                yield return $"{label}: {text}";
            }
        }
    }

    private static Concept? ConceptOf(ResponseNode? node)
    {
        if (node?.Coding is { } coding)
        {
            return new Concept(coding.System, coding.Code, coding.Display ?? coding.Code ?? string.Empty);
        }
        return node?.Text is { } text ? new Concept(null, null, text) : null;
    }

    /// <summary>The chart resource a prefilled answer came from (on the group, or on the item itself).</summary>
    private static Ref? SourceOf(params ResponseNode?[] nodes)
    {
        foreach (var node in nodes)
        {
            if (node?.Item?.GetExtensionValue<ResourceReference>(Known.Extensions.PrefillSource) is { Reference: { } reference } r
                && !string.IsNullOrWhiteSpace(reference))
            {
                return new Ref(reference, r.Display);
            }
        }
        return null;
    }

}
