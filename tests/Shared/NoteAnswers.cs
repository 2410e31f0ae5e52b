using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;

namespace Rhizotomy.Tests.Shared;

/// <summary>
/// Answers a surgeon gives on the note form, set in code on a QuestionnaireResponse: shared by the
/// core tests, the app tests and the write-back load driver.
/// </summary>
public static class NoteAnswers
{
    private static readonly Lazy<Questionnaire> Shipped = new(() => TemplateDefinitions.Build(Technique.Neurectomy));

    /// <summary>One nerve on one side as the shipped templates document it (their nerve-side groups are alike).</summary>
    public static NerveSide For(Nerve nerve, Side side) =>
        NerveSides.Of(Shipped.Value).Single(n => n.Nerve == nerve && n.Side == side);

    /// <summary>A form's date and time (datetime-local, UTC) some hours ago: a note of a recent operation is neither late nor signed before it ended.</summary>
    public static string HoursAgo(int hours) =>
        DateTime.UtcNow.AddHours(-hours).ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture);

    public static Coding Project(string code) =>
        new(Known.ProjectCodeSystem, code, Known.Concepts.Single(c => c.Code == code).Display);

    public static void CompleteCommon(QuestionnaireResponse qr)
    {
        Set(qr, [LinkIds.Consent, LinkIds.ConsentObtained], new FhirBoolean(true));
        Set(qr, [LinkIds.Consent, LinkIds.RisksDiscussed], Project(Known.Codes.ScalpNumbness), Project(Known.Codes.Infection), Project(Known.Codes.Bleeding));
        Set(qr, [LinkIds.Anaesthesia], new Coding(Known.Systems.Snomed, Known.Snomed.GeneralAnesthesia, "General anesthesia"));
        Set(qr, ["before-incision", "time-out"], new FhirBoolean(true));
        Set(qr, [LinkIds.Approach, LinkIds.Incision], new FhirString("3 cm transverse incision below the occipital hairline"));
        Set(qr, [LinkIds.Approach, LinkIds.Magnification], Project(Known.Codes.OperatingMicroscope));
        Set(qr, [LinkIds.Implants], new FhirString(TemplateAnswers.None));
        Set(qr, [LinkIds.Drains], new FhirString(TemplateAnswers.None));
        Set(qr, [LinkIds.Complications, LinkIds.Complication], Project(Known.Codes.NoComplications));
        Set(qr, [LinkIds.EstimatedBloodLoss], new FhirDecimal(15m));
        Set(qr, [LinkIds.Disposition], Project(Known.Codes.DispositionHomeSameDay));
        Set(qr, [LinkIds.Plan, LinkIds.PlanPain], new FhirString("Paracetamol and ibuprofen for 5 days"));
        Set(qr, [LinkIds.Plan, LinkIds.PlanWound], new FhirString("Keep the wound dry for 48 hours"));
        Set(qr, [LinkIds.Plan, LinkIds.PlanActivity], new FhirString("Gradual return to normal activity over 2 weeks"));
        Set(qr, [LinkIds.Plan, LinkIds.FollowUp], new FhirString("Clinic in 2 weeks"));
        Set(qr, [LinkIds.Performed, LinkIds.PerformedStart], new FhirDateTime("2026-11-20T09:00:00+01:00"));
        Set(qr, [LinkIds.Performed, LinkIds.PerformedEnd], new FhirDateTime("2026-11-20T10:30:00+01:00"));
    }

    public static void Neurectomy(QuestionnaireResponse qr, NerveSide n, decimal segmentMm = 10m)
    {
        Treat(qr, n, Known.Codes.Neurectomy);
        Set(qr, [LinkIds.Nerves, n.Group, n.SegmentLength], new FhirDecimal(segmentMm));
        Set(qr, [LinkIds.Nerves, n.Group, n.Stump], Project(Known.Codes.StumpBuriedInMuscle));
        Set(qr, [LinkIds.Nerves, n.Group, n.SpecimenSent], new FhirBoolean(true));
    }

    public static void Radiofrequency(QuestionnaireResponse qr, NerveSide n, decimal celsius = 80m, decimal seconds = 90m, int lesions = 3)
    {
        Treat(qr, n, Known.Codes.Coagulation);
        Set(qr, [LinkIds.Nerves, n.Group, n.EnergyMethod], Project(Known.Codes.Radiofrequency));
        Set(qr, [LinkIds.Nerves, n.Group, n.RfTemperature], new FhirDecimal(celsius));
        Set(qr, [LinkIds.Nerves, n.Group, n.RfDuration], new FhirDecimal(seconds));
        Set(qr, [LinkIds.Nerves, n.Group, n.RfLesions], new Integer(lesions));
    }

    public static void Treat(QuestionnaireResponse qr, NerveSide n, string technique)
    {
        Set(qr, [LinkIds.Nerves, n.Group, n.Treated], new FhirBoolean(true));
        Set(qr, [LinkIds.Nerves, n.Group, n.Technique], Project(technique));
        Set(qr, [LinkIds.Nerves, n.Group, n.Findings], Project(Known.Codes.FindingEntrapped), Project(Known.Codes.FindingThickened));
    }

    /// <summary>Sets the answers of the item at this linkId path (first match at each level), creating the items on the way.</summary>
    public static void Set(QuestionnaireResponse qr, string[] path, params DataType[] values)
    {
        var items = qr.Item;
        QuestionnaireResponse.ItemComponent? item = null;
        foreach (var linkId in path)
        {
            item = items.FirstOrDefault(i => i.LinkId == linkId);
            if (item is null)
            {
                item = new QuestionnaireResponse.ItemComponent { LinkId = linkId };
                items.Add(item);
            }
            items = item.Item;
        }
        item!.Answer.Clear();
        item.Answer.AddRange(values.Select(v => new QuestionnaireResponse.AnswerComponent { Value = v }));
    }

    /// <summary>Removes the item at this linkId path (first match at each level).</summary>
    public static void Remove(QuestionnaireResponse qr, params string[] path)
    {
        var items = qr.Item;
        for (var i = 0; i < path.Length; i++)
        {
            var item = items.FirstOrDefault(x => x.LinkId == path[i]);
            if (item is null)
            {
                return;
            }
            if (i == path.Length - 1)
            {
                items.Remove(item);
                return;
            }
            items = item.Item;
        }
    }
}
