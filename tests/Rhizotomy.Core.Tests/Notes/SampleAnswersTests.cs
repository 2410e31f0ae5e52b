using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Templates;
using static Rhizotomy.Tests.Shared.NoteAnswers;
using R = Hl7.Fhir.Model.QuestionnaireResponse;

namespace Rhizotomy.Core.Tests.Notes;

/// <summary>
/// The two sample operations as a surgeon answers the shipped templates (<c>profiles/answers/</c>): the profile
/// examples and the golden notes are made from them through the real path (template, response, checks, composer).
/// Set UPDATE_SAMPLES=1 to rewrite the files after an intended change to the templates or these answers.
/// </summary>
public class SampleAnswersTests
{
    private static Coding Side(Side side) => side == Clinical.Side.Left
        ? new Coding(Known.Systems.Snomed, Known.Snomed.Left, "Left")
        : new Coding(Known.Systems.Snomed, Known.Snomed.Right, "Right");

    private static Coding OccipitalNeuralgia => new(Known.Systems.Icd10Cm, Known.Icd10Cm.OccipitalNeuralgia, "Occipital neuralgia");

    private static R.ItemComponent Group(string linkId, params (string LinkId, DataType Value)[] answers) => new()
    {
        LinkId = linkId,
        Item = [.. answers.Select(a => new R.ItemComponent { LinkId = a.LinkId, Answer = [new R.AnswerComponent { Value = a.Value }] })],
    };

    private static R Start(Questionnaire template, string noteId, string authored)
    {
        var qr = new R
        {
            Questionnaire = template.Url + "|" + template.Version,
            Status = R.QuestionnaireResponseStatus.Completed,
            Identifier = new Identifier(Known.NoteIdentifierSystem, noteId),
            Subject = new ResourceReference("Patient/example-patient", "Alex Example"),
            Encounter = new ResourceReference("Encounter/example-encounter", "Outpatient surgery"),
            Author = new ResourceReference("Practitioner/example-surgeon", "Dr Sam Surgeon"),
            AuthoredElement = new FhirDateTime(authored),
        };
        qr.Item.Add(new R.ItemComponent { LinkId = LinkIds.Indication, Item =
        [
            Group(LinkIds.PriorBlock, (LinkIds.PriorBlockDate, new Date("2025-11-12")), (LinkIds.PriorBlockNerve, Project(Known.Codes.GreaterOccipitalNerve)),
                (LinkIds.PriorBlockSide, Side(Clinical.Side.Left)), (LinkIds.PriorBlockReliefPercent, new Integer(80)), (LinkIds.PriorBlockReliefText, new FhirString("pain-free for 6 hours"))),
            Group(LinkIds.PriorBlock, (LinkIds.PriorBlockDate, new Date("2026-01-08")), (LinkIds.PriorBlockNerve, Project(Known.Codes.GreaterOccipitalNerve)),
                (LinkIds.PriorBlockSide, Side(Clinical.Side.Right)), (LinkIds.PriorBlockReliefPercent, new Integer(75))),
            Group(LinkIds.Therapy, (LinkIds.TherapyKind, new FhirString("medication")), (LinkIds.TherapyText, new FhirString("Gabapentin 300 mg three times daily")),
                (LinkIds.TherapyPeriod, new FhirString("2025-03 to 2025-09")), (LinkIds.TherapyFailed, new FhirBoolean(true))),
            Group(LinkIds.Therapy, (LinkIds.TherapyKind, new FhirString("physical-therapy")), (LinkIds.TherapyText, new FhirString("Physical therapy of the neck, 12 sessions")),
                (LinkIds.TherapyPeriod, new FhirString("2025-05 to 2025-08")), (LinkIds.TherapyFailed, new FhirBoolean(true))),
            Group(LinkIds.Imaging, (LinkIds.ImagingText, new FhirString("MRI cervical spine: no structural cause of the pain")), (LinkIds.ImagingDate, new Date("2025-10-02"))),
        ]});
        Set(qr, [LinkIds.Indication, LinkIds.IndicationSummary], new FhirString("Chronic occipital neuralgia refractory to medication, physical therapy and nerve blocks."));
        CompleteCommon(qr);
        Remove(qr, LinkIds.Plan, LinkIds.PlanActivity);
        Set(qr, [LinkIds.Plan, LinkIds.PlanPain], new FhirString("Paracetamol and ibuprofen for five days"));
        Set(qr, [LinkIds.Plan, LinkIds.PlanActivity], new FhirString("Gradual return to normal activity over two weeks"));
        Set(qr, [LinkIds.Plan, LinkIds.FollowUp], new FhirString("Clinic review in 2 weeks; pain scores (NRS-11) and headache days at 3 months"));
        Set(qr, ["before-incision", "antibiotic"], new FhirString("cefazolin 2 g IV within 60 minutes before the incision"));
        Set(qr, ["before-incision", "position"], new FhirString("prone, with the pressure points padded"));
        Set(qr, ["before-incision", "skin-prep"], new FhirString("chlorhexidine in alcohol"));
        Set(qr, ["closing", "counts"], new FhirString("correct"));
        Set(qr, ["closing", "wound-class"], new FhirString("I (clean)"));
        Set(qr, ["closing", "condition-at-end"], new FhirString("awake and stable"));
        Set(qr, ["closing", "destination"], new FhirString("recovery room"));
        return qr;
    }

    private static void Diagnoses(R qr, params Side[] sides)
    {
        foreach (var group in new[] { LinkIds.PreopDiagnosis, LinkIds.PostopDiagnosis })
        {
            var code = group == LinkIds.PreopDiagnosis ? LinkIds.PreopDiagnosisCode : LinkIds.PostopDiagnosisCode;
            var side = group == LinkIds.PreopDiagnosis ? LinkIds.PreopDiagnosisSide : LinkIds.PostopDiagnosisSide;
            qr.Item.InsertRange(group == LinkIds.PreopDiagnosis ? 0 : qr.Item.Count, sides.Select(s => Group(group, (code, OccipitalNeuralgia), (side, Side(s)))));
        }
    }

    /// <summary>Open left greater occipital neurectomy with a resident, a segment to pathology.</summary>
    public static R NeurectomyAnswers()
    {
        var qr = Start(TemplateDefinitions.Build(Technique.Neurectomy), "example-neurectomy-0001", "2026-03-04T11:20:00-05:00");
        Diagnoses(qr, Clinical.Side.Left);
        qr.Item.Add(new R.ItemComponent { LinkId = "team", Item =
        [
            Group("team-member", ("team-member-name", new FhirString("Dr Robin Resident")), ("team-member-role", new FhirString("Resident"))),
        ]});
        Set(qr, ["team", "teaching-presence"], new FhirString("I was present for the key and critical portions of the procedure and immediately available throughout."));
        Set(qr, ["before-incision", "hair"], new FhirString("The hair was clipped over the incision site"));
        Set(qr, ["before-incision", "local-infiltration"], new FhirString("1% lidocaine with 1:100,000 adrenaline"));
        Set(qr, [LinkIds.Approach, "approach-kind"], new FhirString("Open"));
        Set(qr, [LinkIds.Approach, LinkIds.Incision], new FhirString("Transverse incision below the left occipital hairline, lateral to the midline"));
        Set(qr, [LinkIds.Approach, "incision-orientation"], new FhirString("Transverse"));
        Set(qr, [LinkIds.Approach, "incision-length"], new FhirDecimal(3m));
        Set(qr, [LinkIds.Approach, "incision-landmarks"], new FhirString("external occipital protuberance"), new FhirString("hairline"));
        var gon = For(Nerve.GreaterOccipital, Clinical.Side.Left);
        Neurectomy(qr, gon, 15m);
        Set(qr, [LinkIds.Nerves, gon.Group, gon.FindingsText], new FhirString("Compressed where it pierces the trapezius fascia"));
        Set(qr, ["closing", "haemostasis"], new FhirString("with bipolar electrocautery"));
        Set(qr, ["closing", "closure"], new FhirString("interrupted absorbable sutures to the galea and a running subcuticular suture to the skin"));
        Set(qr, ["closing", "dressing"], new FhirString("dry sterile"));
        Set(qr, [LinkIds.EstimatedBloodLoss], new FhirDecimal(5m));
        Set(qr, [LinkIds.Performed, LinkIds.PerformedStart], new FhirDateTime("2026-03-04T08:15:00-05:00"));
        Set(qr, [LinkIds.Performed, LinkIds.PerformedEnd], new FhirDateTime("2026-03-04T09:40:00-05:00"));
        return qr;
    }

    /// <summary>Percutaneous bilateral greater occipital nerve radiofrequency ablation under monitored anaesthesia care.</summary>
    public static R RadiofrequencyAnswers()
    {
        var qr = Start(TemplateDefinitions.Build(Technique.Coagulation), "example-radiofrequency-0002", "2026-03-04T11:05:00-05:00");
        Diagnoses(qr, Clinical.Side.Left, Clinical.Side.Right);
        Set(qr, [LinkIds.Anaesthesia], new FhirString("Monitored anaesthesia care"));
        Set(qr, ["before-incision", "antibiotic"], new FhirString("not given (percutaneous procedure, no implant)"));
        Set(qr, ["before-incision", "local-infiltration"], new FhirString("1% lidocaine at each skin entry point"));
        Set(qr, [LinkIds.Approach, "approach-kind"], new FhirString("Percutaneous"));
        Set(qr, [LinkIds.Approach, LinkIds.Incision], new FhirString("A radiofrequency cannula through a skin puncture on each side, under fluoroscopic guidance"));
        Remove(qr, LinkIds.Approach, LinkIds.Magnification);
        foreach (var side in new[] { Clinical.Side.Left, Clinical.Side.Right })
        {
            var gon = For(Nerve.GreaterOccipital, side);
            Radiofrequency(qr, gon, 80m, 90m, 2);
            Set(qr, [LinkIds.Nerves, gon.Group, gon.Findings], Project(Known.Codes.FindingThickened));
        }
        Set(qr, [LinkIds.Specimens], new FhirString("None"));
        Set(qr, [LinkIds.Implants], new FhirString(TemplateAnswers.None));
        Set(qr, ["closing", "haemostasis"], new FhirString("with pressure"));
        Set(qr, ["closing", "dressing"], new FhirString("skin adhesive"));
        Set(qr, [LinkIds.EstimatedBloodLoss], new FhirDecimal(0m));
        Set(qr, [LinkIds.Performed, LinkIds.PerformedStart], new FhirDateTime("2026-03-04T09:00:00-05:00"));
        Set(qr, [LinkIds.Performed, LinkIds.PerformedEnd], new FhirDateTime("2026-03-04T09:50:00-05:00"));
        return qr;
    }

    public static TheoryData<string> Names() => [.. SampleNotes.Names];

    [Theory]
    [MemberData(nameof(Names))]
    public void The_committed_sample_answers_are_what_the_surgeon_answered(string name)
    {
        var qr = name == SampleNotes.Names[0] ? NeurectomyAnswers() : RadiofrequencyAnswers();
        var json = new FhirJsonSerializer().SerializeToString(qr, pretty: true).ReplaceLineEndings("\n") + "\n";
        var file = Path.Combine(RepoPaths.Root(), "profiles", "answers", $"QuestionnaireResponse-{name}.json");
        if (Environment.GetEnvironmentVariable("UPDATE_SAMPLES") == "1") File.WriteAllText(file, json);

        Assert.True(File.Exists(file), $"{file} is missing; run with UPDATE_SAMPLES=1 and review it.");
        Assert.Equal(File.ReadAllText(file), json);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Each_sample_passes_the_checks_of_its_template_and_reads_into_a_note(string name)
    {
        var (response, note) = SampleNotes.Filled(name);

        Assert.Equal(name, response.Identifier!.Value);
        Assert.Equal(name, note.Context.NoteId);
    }
}
