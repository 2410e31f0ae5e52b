using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Templates;
using Rhizotomy.Core.Tests.TestData;
using Rhizotomy.Tests.Shared;
using static Rhizotomy.Core.Tests.TestData.Responses;
using static Rhizotomy.Tests.Shared.NoteAnswers;

namespace Rhizotomy.Core.Tests.Templates;

/// <summary>Nerves are data: the nerve-side groups, their labels and items come from the template, never from code.</summary>
public class NerveSidesTests
{
    [Fact]
    public void The_shipped_templates_document_three_nerves_on_each_side_read_from_their_groups()
    {
        var sides = NerveSides.Of(NeurectomyTemplate);

        Assert.Equal(["treat-gon-left", "treat-gon-right", "treat-lon-left", "treat-lon-right", "treat-ton-left", "treat-ton-right"], sides.Select(s => s.Group));
        Assert.Equal([Nerve.GreaterOccipital, Nerve.LesserOccipital, Nerve.ThirdOccipital], NerveSides.Nerves(NeurectomyTemplate));
        Assert.Equal("Right lesser occipital nerve", sides[3].Label);
        Assert.Equal("lon-right-rf-lesions", sides[3].RfLesions);
    }

    [Fact]
    public void A_nerve_a_template_adds_is_offered_checked_and_read_without_code()
    {
        var template = WithLeftSupraorbitalNerve();
        var supraorbital = Assert.Single(NerveSides.Of(template), s => s.Nerve.Code == "supraorbital-nerve");
        Assert.Equal(("treat-son-left", "son-left-treated", Side.Left, "Left supraorbital nerve"), (supraorbital.Group, supraorbital.Treated, supraorbital.Side, supraorbital.Label));

        var evidence = Cases.ClassicLeft();
        var qr = CompletedLeftNeurectomy(evidence, template);
        Neurectomy(qr, supraorbital, segmentMm: 8m);

        // Checked by its own copy of the rules: no block of this nerve is on record.
        var refused = NoteReader.Read(template, qr, Cases.Context(), evidence);
        Assert.False(refused.CanSign);
        Assert.Contains(refused.Outcome.Issue, i => i.Details?.Text?.StartsWith("Left supraorbital nerve: no diagnostic block", StringComparison.Ordinal) == true);

        Set(qr, [LinkIds.Nerves, supraorbital.Group, "son-left-block-reason"], new FhirString("supraorbital trigger point confirmed by examination"));
        var read = NoteReader.Read(template, qr, Cases.Context(), evidence);
        Assert.True(read.CanSign, string.Join("\n", read.Outcome.Issue.Select(i => i.Details?.Text)));
        var treatment = Assert.Single(read.Note!.Treatments, t => t.Nerve.Code == "supraorbital-nerve");
        Assert.Equal((Side.Left, Technique.Neurectomy, 8m), (treatment.Side, treatment.Technique, treatment.Neurectomy!.SegmentLengthMm));
        var text = NoteRendering.Text(NoteDocument.From(read.Note));
        // Named in the note's title (the heading says it in capitals).
        Assert.Contains("Left supraorbital neurectomy", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Left supraorbital nerve segment (8 mm) sent to pathology.", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nerve_a_site_folder_adds_in_json_is_filed_as_a_procedure_coded_from_its_code_system_concepts()
    {
        var folder = Directory.CreateTempSubdirectory("rhizotomy-site-nerve-").FullName;
        try
        {
            // JSON only: the template with its supraorbital group, and the CodeSystem concepts a site adds (the nerve, and
            // the procedure that names it and a technique).
            SiteTemplates.Write(folder, WithLeftSupraorbitalNerve());
            SiteTemplates.WriteSupraorbitalConcepts(folder);
            var catalog = TemplateCatalog.Load(TemplateCatalog.DefaultFolder, folder, replaceShipped: false);
            var template = catalog.Find(NeurectomyTemplate.Url)!;
            var supraorbital = Assert.Single(NerveSides.Of(template), s => s.Nerve.Code == "supraorbital-nerve");
            var evidence = Cases.ClassicLeft();
            var qr = CompletedLeftNeurectomy(evidence, template);
            Neurectomy(qr, supraorbital, segmentMm: 8m);
            Set(qr, [LinkIds.Nerves, supraorbital.Group, "son-left-block-reason"], new FhirString("supraorbital trigger point confirmed by examination"));

            var read = NoteReader.Read(catalog, qr, Cases.Context(), evidence);
            Assert.True(read.CanSign, string.Join("\n", read.Outcome.Issue.Select(i => i.Details?.Text)));
            var procedures = new NoteComposer().Compose(read.Note!, qr).Procedures;

            var filed = Assert.Single(procedures, p => p.BodySite.Any(b => b.Coding.Any(c => c.Code == "supraorbital-nerve")));
            var code = Assert.Single(filed.Code!.Coding);
            Assert.Equal(("supraorbital-neurectomy", "Supraorbital neurectomy"), (code.Code, code.Display));
            Assert.Equal([("supraorbital-nerve", "Supraorbital nerve"), (Known.Snomed.Left, "Left")], filed.BodySite.Select(b => (b.Coding.Single().Code, b.Coding.Single().Display)));
            // The occipital nerve beside it keeps its own code.
            Assert.Contains(procedures, p => p.Code!.Coding.Single().Code == Known.Codes.OccipitalNeurectomy);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The shipped template with a left supraorbital nerve-side group, made as a site would (JSON only).</summary>
    private static Questionnaire WithLeftSupraorbitalNerve() => SiteTemplates.WithLeftSupraorbitalNerve(NeurectomyTemplate);
}
