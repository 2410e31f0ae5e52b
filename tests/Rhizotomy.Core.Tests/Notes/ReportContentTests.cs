using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Templates;
using Rhizotomy.Core.Tests.TestData;
using static Rhizotomy.Core.Tests.TestData.Responses;
using static Rhizotomy.Tests.Shared.NoteAnswers;

namespace Rhizotomy.Core.Tests.Notes;

/// <summary>
/// Issue 16's note-level content, all template items: the team (performers with functions), before the incision,
/// the approach, closing; anaesthesia never pre-selected; numbness not a complication; the disposition a plan.
/// </summary>
public class ReportContentTests
{
    private static NoteReadResult Read(QuestionnaireResponse qr) =>
        NoteReader.Read(NeurectomyTemplate, qr, Cases.Context(), Cases.ClassicLeft());

    private static string Key(OperationOutcome.IssueComponent i) => i.Details!.Coding.Single(c => c.System == Known.NoteCheckSystem).Code!;

    private static List<OperationOutcome.IssueComponent> Errors(NoteReadResult r) =>
        [.. r.Outcome.Issue.Where(i => i.Severity == OperationOutcome.IssueSeverity.Error)];

    private static QuestionnaireResponse FullNote()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft());
        var member = new QuestionnaireResponse.ItemComponent
        {
            LinkId = "team-member",
            Item =
            [
                new() { LinkId = "team-member-name", Answer = [new() { Value = new FhirString("Dr Robin Resident") }] },
                new() { LinkId = "team-member-role", Answer = [new() { Value = new FhirString("Resident") }] },
            ],
        };
        qr.Item.Add(new QuestionnaireResponse.ItemComponent { LinkId = "team", Item = [member] });
        Set(qr, ["team", "teaching-presence"], new FhirString("I was present for the key and critical portions of the procedure and immediately available throughout."));
        Set(qr, ["before-incision", "antibiotic"], new FhirString("cefazolin 2 g IV within 60 minutes before the incision"));
        Set(qr, ["before-incision", "position"], new FhirString("prone, with the pressure points padded"));
        Set(qr, ["before-incision", "hair"], new FhirString("The hair was clipped over the incision site"));
        Set(qr, ["before-incision", "skin-prep"], new FhirString("chlorhexidine in alcohol"));
        Set(qr, ["before-incision", "local-infiltration"], new FhirString("1% lidocaine with 1:100,000 adrenaline"));
        Set(qr, [LinkIds.Approach, "approach-kind"], new FhirString("Open"));
        Set(qr, [LinkIds.Approach, "incision-orientation"], new FhirString("Transverse"));
        Set(qr, [LinkIds.Approach, "incision-length"], new FhirDecimal(3m));
        Set(qr, [LinkIds.Approach, "incision-landmarks"], new FhirString("external occipital protuberance"), new FhirString("hairline"));
        Set(qr, ["closing", "haemostasis"], new FhirString("with bipolar electrocautery"));
        Set(qr, ["closing", "closure"], new FhirString("interrupted absorbable sutures to the galea and a running subcuticular suture to the skin"));
        Set(qr, ["closing", "dressing"], new FhirString("dry sterile"));
        Set(qr, ["closing", "counts"], new FhirString("correct"));
        Set(qr, ["closing", "wound-class"], new FhirString("I (clean)"));
        Set(qr, ["closing", "condition-at-end"], new FhirString("awake and stable"));
        Set(qr, ["closing", "destination"], new FhirString("recovery room"));
        return qr;
    }

    [Fact]
    public void The_team_becomes_performers_with_functions_and_the_content_reads_as_sentences()
    {
        var read = Read(FullNote());
        Assert.True(read.CanSign, string.Join("\n", Errors(read).Select(e => e.Details!.Text)));

        var composed = new NoteComposer().Compose(read.Note!);
        var performers = Assert.Single(composed.Procedures).Performer;
        Assert.Equal(["Primary surgeon", "Resident"], performers.Select(p => p.Function!.Text));
        Assert.Equal(Cases.Context().Surgeon.Reference, performers[0].Actor.Reference);
        Assert.Equal("Dr Robin Resident", performers[1].Actor.Display);

        var text = composed.Text;
        foreach (var sentence in new[]
        {
            "Resident: Dr Robin Resident",
            "I was present for the key and critical portions of the procedure and immediately available throughout.",
            "A time-out was held before the incision, confirming the patient, the procedure, the site and the side.",
            "Antibiotic prophylaxis: cefazolin 2 g IV within 60 minutes before the incision.",
            "The patient was positioned prone, with the pressure points padded.",
            "The hair was clipped over the incision site.",
            "The skin was prepared with chlorhexidine in alcohol and draped in the usual sterile fashion.",
            "The incision site was infiltrated with 1% lidocaine with 1:100,000 adrenaline.",
            "Open approach.",
            "Transverse incision.",
            "The incision was 3 cm long.",
            "The incision was marked from the external occipital protuberance, hairline.",
            "Haemostasis was obtained with bipolar electrocautery.",
            "A dry sterile dressing was applied.",
            "Sponge, needle and instrument counts were correct.",
            "Wound class: I (clean).",
            "At the end of the operation the patient was awake and stable.",
            "The patient was taken to the recovery room.",
            "Planned at signing: discharge home the same day.",
        })
        {
            Assert.Contains(sentence, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_description_runs_in_the_order_of_the_operation_and_the_approach_line_ends_with_a_full_stop()
    {
        var read = Read(FullNote());
        var text = new NoteComposer().Compose(read.Note!).Text;
        int At(string sentence)
        {
            var at = text.IndexOf(sentence, StringComparison.Ordinal);
            Assert.True(at >= 0, $"'{sentence}' is not in the note");
            return at;
        }
        var consent = At("Informed consent was obtained.");
        var timeOut = At("A time-out was held before the incision");
        var approach = At("Approach: 3 cm transverse incision below the occipital hairline.\n");
        var orientation = At("Transverse incision.");
        var nerve = At("- Left greater occipital nerve: neurectomy");
        var haemostasis = At("Haemostasis was obtained");
        var counts = At("Sponge, needle and instrument counts were correct.");
        var teaching = At("I was present for the key and critical portions");
        Assert.True(consent < timeOut && timeOut < orientation && orientation < approach && approach < nerve && nerve < haemostasis && haemostasis < counts && counts < teaching,
            text);
    }

    [Fact]
    public void A_note_without_an_anaesthesia_chosen_does_not_sign()
    {
        var qr = FullNote();
        Remove(qr, LinkIds.Anaesthesia);

        var error = Assert.Single(Errors(Read(qr)));
        Assert.Equal("QuestionnaireResponse.item.where(linkId='anaesthesia')", error.Expression.Single());
    }

    [Fact]
    public void A_time_out_recorded_as_not_held_stops_signing()
    {
        var qr = FullNote();
        Set(qr, ["before-incision", "time-out"], new FhirBoolean(false));

        var error = Assert.Single(Errors(Read(qr)));
        Assert.Equal("time-out-not-held", Key(error));
        Assert.StartsWith("Before the incision: the time-out is recorded as not held.", error.Details!.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_resident_without_the_teaching_physician_statement_stops_signing()
    {
        var qr = FullNote();
        Remove(qr, "team", "teaching-presence");

        var error = Assert.Single(Errors(Read(qr)));
        Assert.Equal("teaching-presence-missing", Key(error));
        Assert.Equal("Operating team: a resident took part. Give the teaching physician statement.", error.Details!.Text);
    }

    [Fact]
    public void Scalp_numbness_recorded_as_a_complication_stops_signing()
    {
        var qr = FullNote();
        Set(qr, [LinkIds.Complications, LinkIds.Complication], Project(Known.Codes.ScalpNumbness));

        var error = Assert.Single(Errors(Read(qr)));
        Assert.Equal("numbness-as-complication", Key(error));
        Assert.StartsWith("Complications: numbness in the treated nerve's territory is the expected result of the operation, not a complication.", error.Details!.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_title_names_the_operation_done_in_the_composition_the_document_reference_and_the_heading()
    {
        var read = Read(FullNote());
        var composed = new NoteComposer().Compose(read.Note!);

        Assert.Equal("Left greater occipital neurectomy", composed.Composition.Title);
        Assert.Equal("Left greater occipital neurectomy", composed.DocumentReference.Description);
        Assert.StartsWith("LEFT GREATER OCCIPITAL NEURECTOMY\n", composed.Text, StringComparison.Ordinal);
        Assert.Contains("<h1>Left greater occipital neurectomy</h1>", composed.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void Both_sides_of_the_same_nerve_and_technique_are_titled_bilateral()
    {
        var qr = CompletedLeftNeurectomy(Cases.ClassicLeft(), CoagulationTemplate);
        Remove(qr, LinkIds.Nerves);
        Radiofrequency(qr, For(Nerve.GreaterOccipital, Side.Left));
        Radiofrequency(qr, For(Nerve.GreaterOccipital, Side.Right));
        var right = For(Nerve.GreaterOccipital, Side.Right);
        Set(qr, [LinkIds.Nerves, right.Group, right.LateralityReason], new FhirString("bilateral symptoms, right block 70% relief"));
        Set(qr, [LinkIds.Nerves, right.Group, right.Prefix + "-block-reason"], new FhirString("right block done elsewhere, 70% relief, report not in the chart"));
        // Diagnoses without a side agree with both treated sides.
        Remove(qr, LinkIds.PreopDiagnosis, LinkIds.PreopDiagnosisSide);
        Remove(qr, LinkIds.PostopDiagnosis, LinkIds.PostopDiagnosisSide);
        var read = NoteReader.Read(CoagulationTemplate, qr, Cases.Context(), Cases.ClassicLeft());
        Assert.True(read.CanSign, string.Join("\n", Errors(read).Select(e => e.Details!.Text)));

        var composed = new NoteComposer().Compose(read.Note!);

        Assert.Equal("Bilateral greater occipital nerve radiofrequency ablation", composed.Composition.Title);
        Assert.Equal(["Left greater occipital nerve radiofrequency ablation", "Right greater occipital nerve radiofrequency ablation"], composed.Procedures.Select(p => p.Code!.Text));
    }

    [Fact]
    public void The_composed_note_has_no_doubled_punctuation_no_raw_labels_keeps_the_surgeons_line_breaks_and_says_nothing_twice()
    {
        var qr = FullNote();
        Set(qr, ["before-incision", "hair"], new FhirString("No hair was removed."));
        Set(qr, [LinkIds.AdditionalNotes], new FhirString("Dense fascia over the nerve.\nThe occipital artery was preserved."));
        Set(qr, [LinkIds.Specimens], new FhirString("Left greater occipital nerve segment (10 mm) sent to pathology."));
        var read = Read(qr);
        Assert.True(read.CanSign, string.Join("\n", Errors(read).Select(e => e.Details!.Text)));

        var composed = new NoteComposer().Compose(read.Note!);
        var text = composed.Text;

        Assert.Contains("No hair was removed.\n", text, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"(?<!\.)\.\s*\.(?!\.)|[,;:]\s*\.|[!?]\."), text);
        Assert.Contains("Dense fascia over the nerve.\nThe occipital artery was preserved.\n", text, StringComparison.Ordinal);
        Assert.Contains("<p>The occipital artery was preserved.</p>", composed.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("Physical-therapy:", text, StringComparison.Ordinal);
        Assert.Contains("- Physical therapy, 12 sessions (2025), failed", text, StringComparison.Ordinal);
        // Within a section nothing is said twice (the typed specimen line is the one the nerve answers give).
        foreach (var section in text.Split("\n\n"))
        {
            var lines = section.Split('\n').Select(l => l.TrimStart('-', ' ')).Where(l => l.Length > 0).ToList();
            Assert.Equal(lines.Count, lines.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        }
    }

    [Theory]
    [InlineData("80% relief for 3 days", "2026-03-28: Left greater occipital nerve block, 80% relief for 3 days")]
    [InlineData("pain-free for 6 hours", "2026-03-28: Left greater occipital nerve block, 80% relief; pain-free for 6 hours")]
    public void A_blocks_relief_is_said_once_when_the_charts_text_already_gives_the_percentage(string reliefText, string expected)
    {
        Assert.Equal(expected, NoteWording.Block(new PriorBlock("2026-03-28", Nerve.GreaterOccipital, Side.Left, 80, reliefText, null)));
    }
}
