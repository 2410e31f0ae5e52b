using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Q = Hl7.Fhir.Model.Questionnaire;

namespace Rhizotomy.Core.Templates;

/// <summary>
/// The operative-note templates as code. They are generated into <c>profiles/questionnaires/</c> (a test
/// keeps the committed files in step) and loaded at run time as data by <see cref="TemplateCatalog"/>,
/// so a site can change its copy without code.
/// </summary>
/// <remarks>
/// One template per technique, as the architecture asks; both carry the full per-nerve branches
/// (neurectomy and coagulation, via <c>enableWhen</c>) so a mixed case can still be documented, and
/// differ only in the technique offered first. Coded items are bound with <c>answerValueSet</c> to the
/// project ValueSets; R4 forbids <c>answerOption</c> next to <c>answerValueSet</c> (invariant que-4),
/// so renderers get the short lists from <see cref="TemplateAnswers"/> instead.
/// </remarks>
public static class TemplateDefinitions
{
    public const string NeurectomyId = "occipital-neurectomy";
    public const string CoagulationId = "occipital-coagulation";
    public const string Version = "1.0.0";

    // Fixed so the generated files only change when the definition does.
    private const string PublishedDate = "2026-11-27";

    /// <summary>Every template the product ships.</summary>
    public static IReadOnlyList<Q> All() => [Build(Technique.Neurectomy), Build(Technique.Coagulation)];

    /// <summary>The template whose per-nerve technique defaults to <paramref name="defaultTechnique"/>.</summary>
    public static Q Build(Technique defaultTechnique)
    {
        var neurectomy = defaultTechnique == Technique.Neurectomy;
        var id = neurectomy ? NeurectomyId : CoagulationId;
        var q = new Q
        {
            Id = id,
            Url = Known.QuestionnaireUrl(id),
            Version = Version,
            Name = neurectomy ? "OccipitalNeurectomyOperativeNote" : "OccipitalCoagulationOperativeNote",
            Title = neurectomy
                ? "Operative note: occipital nerve rhizotomy by neurectomy"
                : "Operative note: occipital nerve rhizotomy by coagulation",
            Status = PublicationStatus.Active,
            Experimental = false,
            SubjectType = [ResourceType.Patient],
            Date = PublishedDate,
            Publisher = "Rhizotomy note project",
            Description = new Markdown(
                "Structured operative note for occipital nerve rhizotomy (greater, lesser and third occipital nerves, "
                + "left and right), following the sections of the C-CDA Operative Note. Each nerve treated gets its "
                + "findings and technique details; " + (neurectomy ? "neurectomy" : "coagulation")
                + " is offered first, the other technique stays available per nerve."),
            Code = [ProjectCoding(neurectomy ? Known.Codes.OccipitalNeurectomy : Known.Codes.OccipitalNerveCoagulation)],
        };

        q.Item.Add(DiagnosisGroup(LinkIds.PreopDiagnosis, LinkIds.PreopDiagnosisCode, LinkIds.PreopDiagnosisSide,
            "Pre-operative diagnosis", required: true, Known.Loinc.PreoperativeDiagnosis));
        q.Item.Add(IndicationGroup());
        q.Item.Add(Group(LinkIds.Consent, "Consent", required: true,
            Question(LinkIds.ConsentObtained, "Informed consent obtained", Q.QuestionnaireItemType.Boolean, required: true),
            Coded(LinkIds.RisksDiscussed, "Risks discussed", Known.ValueSetFor("complication"), required: true, repeats: true)));
        q.Item.Add(Anaesthesia());
        q.Item.Add(Group(LinkIds.Approach, "Approach", required: true,
            Question(LinkIds.Incision, "Approach and incision", Q.QuestionnaireItemType.Text, required: true),
            Coded(LinkIds.Magnification, "Magnification", Known.ValueSetFor("magnification"))));

        var nerves = Group(LinkIds.Nerves, "Nerves treated", required: true);
        nerves.Code = [Loinc(Known.Loinc.ProcedureDescription, "Procedure description")];
        foreach (var n in LinkIds.NerveSides)
        {
            nerves.Item.Add(NerveGroup(n, defaultTechnique));
        }
        q.Item.Add(nerves);

        q.Item.Add(WithCode(Question(LinkIds.Specimens, "Specimens", Q.QuestionnaireItemType.Text),
            Known.Loinc.SpecimensTaken, "Procedure specimens taken"));
        q.Item.Add(WithCode(NoneOrText(LinkIds.Implants, "Implants"), Known.Loinc.ProcedureImplants, "Procedure implants"));
        q.Item.Add(WithCode(NoneOrText(LinkIds.Drains, "Drains"), Known.Loinc.SurgicalDrains, "Surgical drains"));

        var complications = Group(LinkIds.Complications, "Complications", required: true,
            Coded(LinkIds.Complication, "Complications (or: no complications)", Known.ValueSetFor("complication"), required: true, repeats: true),
            Question(LinkIds.ComplicationsText, "Complications in words", Q.QuestionnaireItemType.Text));
        q.Item.Add(WithCode(complications, Known.Loinc.Complications, "Complications"));

        q.Item.Add(WithCode(Numeric(Question(LinkIds.EstimatedBloodLoss, "Estimated blood loss", Q.QuestionnaireItemType.Decimal, required: true),
            "mL", 0m, 2000m), Known.Loinc.EstimatedBloodLoss, "Procedure estimated blood loss"));
        q.Item.Add(WithCode(Coded(LinkIds.Disposition, "Disposition", Known.ValueSetFor("disposition"), required: true),
            Known.Loinc.ProcedureDisposition, "Procedure disposition"));

        q.Item.Add(WithCode(Group(LinkIds.Plan, "Post-operative plan", required: true,
            Question(LinkIds.PlanPain, "Pain management", Q.QuestionnaireItemType.Text, required: true),
            Question(LinkIds.PlanWound, "Wound care and infection prevention", Q.QuestionnaireItemType.Text, required: true),
            Question(LinkIds.PlanActivity, "Return to activity", Q.QuestionnaireItemType.Text, required: true),
            Question(LinkIds.FollowUp, "Follow-up", Q.QuestionnaireItemType.Text)),
            Known.Loinc.PlanOfTreatment, "Plan of treatment"));

        q.Item.Add(Group(LinkIds.Performed, "Time of operation", required: true,
            Question(LinkIds.PerformedStart, "Start", Q.QuestionnaireItemType.DateTime, required: true),
            Question(LinkIds.PerformedEnd, "End", Q.QuestionnaireItemType.DateTime, required: true)));

        // Not required: when left out, the reader uses the pre-operative diagnoses (prefill copies them).
        q.Item.Add(DiagnosisGroup(LinkIds.PostopDiagnosis, LinkIds.PostopDiagnosisCode, LinkIds.PostopDiagnosisSide,
            "Post-operative diagnosis", required: false, Known.Loinc.PostoperativeDiagnosis));
        q.Item.Add(Question(LinkIds.AdditionalNotes, "Additional notes", Q.QuestionnaireItemType.Text));
        return q;
    }

    private static Q.ItemComponent IndicationGroup()
    {
        var block = Group(LinkIds.PriorBlock, "Diagnostic nerve block", required: false,
            Question(LinkIds.PriorBlockDate, "Date", Q.QuestionnaireItemType.Date, required: true),
            Coded(LinkIds.PriorBlockNerve, "Nerve", Known.ValueSetFor("nerve"), required: true),
            Coded(LinkIds.PriorBlockSide, "Side", Known.LateralityValueSet, required: true),
            Numeric(Question(LinkIds.PriorBlockReliefPercent, "Pain relief", Q.QuestionnaireItemType.Integer), "%", 0, 100),
            Question(LinkIds.PriorBlockReliefText, "Relief in words", Q.QuestionnaireItemType.String));
        block.Repeats = true;

        var kind = Question(LinkIds.TherapyKind, "Kind of treatment", Q.QuestionnaireItemType.OpenChoice);
        foreach (var k in TemplateAnswers.TherapyKinds)
        {
            kind.AnswerOption.Add(new Q.AnswerOptionComponent { Value = new FhirString(k) });
        }
        var therapy = Group(LinkIds.Therapy, "Conservative treatment tried", required: false,
            kind,
            Question(LinkIds.TherapyText, "Treatment", Q.QuestionnaireItemType.String, required: true),
            Question(LinkIds.TherapyPeriod, "When", Q.QuestionnaireItemType.String),
            Question(LinkIds.TherapyFailed, "Failed to give lasting relief", Q.QuestionnaireItemType.Boolean));
        therapy.Repeats = true;

        var imaging = Group(LinkIds.Imaging, "Imaging", required: false,
            Question(LinkIds.ImagingText, "Study and result", Q.QuestionnaireItemType.String, required: true),
            Question(LinkIds.ImagingDate, "Date", Q.QuestionnaireItemType.Date));
        imaging.Repeats = true;

        return WithCode(Group(LinkIds.Indication, "Indication and work-up", required: false,
            block, therapy, imaging,
            Question(LinkIds.IndicationSummary, "Indication in words", Q.QuestionnaireItemType.Text)),
            Known.Loinc.ProcedureIndications, "Procedure indications");
    }

    private static Q.ItemComponent Anaesthesia()
    {
        var general = TemplateAnswers.GeneralAnaesthesia;
        var item = Question(LinkIds.Anaesthesia, "Anaesthesia", Q.QuestionnaireItemType.OpenChoice, required: true);
        // R4 (que-11) marks the default of a list with initialSelected, not initial.
        item.AnswerOption.Add(new Q.AnswerOptionComponent { Value = general, InitialSelected = true });
        return WithCode(item, Known.Loinc.Anesthesia, "Anesthesia");
    }

    private static Q.ItemComponent DiagnosisGroup(string groupId, string codeId, string sideId, string text, bool required, string loinc)
    {
        var group = Group(groupId, text, required,
            Coded(codeId, "Diagnosis", Known.DiagnosisValueSet, required: true, open: true),
            Coded(sideId, "Side", Known.LateralityValueSet));
        group.Repeats = true;
        return WithCode(group, loinc, text);
    }

    private static Q.ItemComponent NerveGroup(NerveLinkIds n, Technique defaultTechnique)
    {
        var treated = Q.QuestionnaireItemOperator.Equal;
        Q.EnableWhenComponent WhenTreated() => new() { Question = n.Treated, Operator = treated, Answer = new FhirBoolean(true) };
        Q.EnableWhenComponent WhenTechnique(string code) => new() { Question = n.Technique, Operator = treated, Answer = ProjectCoding(code) };

        Q.ItemComponent EnabledWhen(Q.ItemComponent item, params Q.EnableWhenComponent[] conditions)
        {
            item.EnableWhen.AddRange(conditions);
            if (conditions.Length > 1)
            {
                item.EnableBehavior = Q.EnableWhenBehavior.All;
            }
            return item;
        }

        var technique = Coded(n.Technique, "Technique", Known.ValueSetFor("technique"), required: true);
        technique.Initial.Add(new Q.InitialComponent
        {
            Value = ProjectCoding(defaultTechnique == Technique.Neurectomy ? Known.Codes.Neurectomy : Known.Codes.Coagulation),
        });

        var neurectomy = WhenTechnique(Known.Codes.Neurectomy);
        var coagulation = WhenTechnique(Known.Codes.Coagulation);
        var radiofrequency = new Q.EnableWhenComponent { Question = n.EnergyMethod, Operator = treated, Answer = ProjectCoding(Known.Codes.Radiofrequency) };

        return Group(n.Group, n.Label, required: false,
            Question(n.Treated, "Treated", Q.QuestionnaireItemType.Boolean),
            EnabledWhen(technique, WhenTreated()),
            EnabledWhen(WithCode(Coded(n.Findings, "Findings", Known.ValueSetFor("nerve-finding"), required: true, repeats: true),
                Known.Loinc.ProcedureFindings, "Procedure findings"), WhenTreated()),
            EnabledWhen(Question(n.FindingsText, "Findings in words", Q.QuestionnaireItemType.Text), WhenTreated()),
            EnabledWhen(Numeric(Question(n.SegmentLength, "Segment length", Q.QuestionnaireItemType.Decimal, required: true), "mm", 1m, 50m),
                WhenTreated(), neurectomy),
            EnabledWhen(Coded(n.Stump, "Proximal stump management", Known.ValueSetFor("stump-management"), required: true), WhenTreated(), neurectomy),
            EnabledWhen(Question(n.SpecimenSent, "Specimen sent to pathology", Q.QuestionnaireItemType.Boolean, required: true), WhenTreated(), neurectomy),
            EnabledWhen(Coded(n.EnergyMethod, "Energy method", Known.ValueSetFor("energy-method"), required: true), WhenTreated(), coagulation),
            EnabledWhen(Numeric(Question(n.RfTemperature, "Radiofrequency temperature", Q.QuestionnaireItemType.Decimal, required: true), "Cel", 60m, 95m),
                WhenTreated(), WhenTechnique(Known.Codes.Coagulation), radiofrequency),
            EnabledWhen(Numeric(Question(n.RfDuration, "Lesion duration", Q.QuestionnaireItemType.Decimal, required: true), "s", 30m, 180m),
                WhenTreated(), WhenTechnique(Known.Codes.Coagulation), radiofrequency.DeepCopy()),
            EnabledWhen(Numeric(Question(n.RfLesions, "Number of lesions", Q.QuestionnaireItemType.Integer, required: true), "{lesions}", 1, 10),
                WhenTreated(), WhenTechnique(Known.Codes.Coagulation), radiofrequency.DeepCopy()),
            // Required only when the chart has no diagnosis on this side: the checks enforce it, not the template.
            EnabledWhen(Question(n.LateralityReason, "Reason for operating on this side", Q.QuestionnaireItemType.Text), WhenTreated()));
    }

    /// <summary>"None" offered as a one-click answer (an explicit statement, not a default), free text otherwise.</summary>
    private static Q.ItemComponent NoneOrText(string linkId, string text)
    {
        var item = Question(linkId, text, Q.QuestionnaireItemType.OpenChoice);
        item.AnswerOption.Add(new Q.AnswerOptionComponent { Value = new FhirString(TemplateAnswers.None) });
        return item;
    }

    private static Q.ItemComponent Group(string linkId, string text, bool required, params Q.ItemComponent[] items)
    {
        var group = new Q.ItemComponent { LinkId = linkId, Text = text, Type = Q.QuestionnaireItemType.Group };
        if (required)
        {
            group.Required = true;
        }
        group.Item.AddRange(items);
        return group;
    }

    private static Q.ItemComponent Question(string linkId, string text, Q.QuestionnaireItemType type, bool required = false)
    {
        var item = new Q.ItemComponent { LinkId = linkId, Text = text, Type = type };
        if (required)
        {
            item.Required = true;
        }
        return item;
    }

    private static Q.ItemComponent Coded(string linkId, string text, string valueSet, bool required = false, bool repeats = false, bool open = false)
    {
        var item = Question(linkId, text, open ? Q.QuestionnaireItemType.OpenChoice : Q.QuestionnaireItemType.Choice, required);
        item.AnswerValueSet = valueSet;
        if (repeats)
        {
            item.Repeats = true;
        }
        return item;
    }

    private static Q.ItemComponent Numeric(Q.ItemComponent item, string ucum, decimal min, decimal max)
    {
        item.Extension.Add(new Extension(Known.Extensions.QuestionnaireUnit, new Coding(Known.Systems.UnitsOfMeasure, ucum, ucum)));
        var integer = item.Type == Q.QuestionnaireItemType.Integer;
        item.Extension.Add(new Extension(Known.Extensions.MinValue, integer ? new Integer((int)min) : new FhirDecimal(min)));
        item.Extension.Add(new Extension(Known.Extensions.MaxValue, integer ? new Integer((int)max) : new FhirDecimal(max)));
        return item;
    }

    private static Q.ItemComponent WithCode(Q.ItemComponent item, string loinc, string display)
    {
        item.Code = [Loinc(loinc, display)];
        return item;
    }

    // Code only: LOINC's own display names differ from our item texts, and a wrong display is a validation warning.
    private static Coding Loinc(string code, string display) => new(Known.Systems.Loinc, code) { Display = null };

    internal static Coding ProjectCoding(string code) =>
        new(Known.ProjectCodeSystem, code, Known.Concepts.First(c => c.Code == code).Display);
}
