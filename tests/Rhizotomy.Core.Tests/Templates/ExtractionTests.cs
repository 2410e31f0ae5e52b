using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Templates;
using Rhizotomy.Core.Tests.TestData;
using Rhizotomy.Core.Validation;
using Rhizotomy.Core.Tests.Validation;
using Rhizotomy.Tests.Shared;
using static Rhizotomy.Tests.Shared.NoteAnswers;

namespace Rhizotomy.Core.Tests.Templates;

/// <summary>
/// The Procedures are produced by SDC definition-based extraction from the template (itemExtractionContext on the
/// nerve-side groups, definitionExtractValue, item.definition), not by code per item: what a site maps, it gets.
/// </summary>
public class ExtractionTests
{
    private const string ProcedureElement = "http://hl7.org/fhir/StructureDefinition/Procedure#Procedure.";

    [Theory]
    [InlineData(0, Known.Codes.OccipitalNeurectomy, "Occipital neurectomy")]
    [InlineData(1, Known.Codes.OccipitalNerveCoagulation, "Coagulation of occipital nerve")]
    public void Each_treated_nerve_side_is_extracted_coded_from_the_code_system_by_nerve_and_technique(int sample, string code, string display)
    {
        var (response, note) = SampleNotes.Filled(SampleNotes.Names[sample]);

        // One Procedure per treated nerve-side (the untreated groups extract nothing), each from the template.
        Assert.All(note.Treatments, t =>
        {
            var extracted = Assert.IsType<Procedure>(t.Extracted);
            var coding = Assert.Single(extracted.Code!.Coding);
            Assert.Equal((Known.ProjectCodeSystem, code, display), (coding.System, coding.Code, coding.Display));
            Assert.Equal([t.Nerve.Code, t.Side == Side.Left ? Known.Snomed.Left : Known.Snomed.Right], extracted.BodySite.Select(b => b.Coding.Single().Code));
            Assert.NotEmpty(extracted.Complication);
        });
        var composed = new NoteComposer().Compose(note, response);
        Assert.Equal(note.Treatments.Count, composed.Procedures.Count);
        Assert.All(composed.Procedures, p => Assert.Equal(code, p.Code!.Coding.Single().Code));
    }

    [Fact]
    public void Elements_a_site_maps_reach_the_procedure_without_code_and_it_still_validates()
    {
        var template = SiteTemplates.Build();
        // In the nerve-side group: the device used, for this nerve and side only.
        var group = TemplateCatalog.Flatten(template.Item).Single(i => i.LinkId == "treat-gon-left");
        group.Item.Add(new Questionnaire.ItemComponent
        {
            LinkId = "gon-left-device", Text = "Device used", Type = Questionnaire.QuestionnaireItemType.String, Definition = ProcedureElement + "usedCode",
        });
        // At the root: the outcome, true of every nerve and side.
        template.Item.Add(new Questionnaire.ItemComponent
        {
            LinkId = "procedure-outcome", Text = "Outcome", Type = Questionnaire.QuestionnaireItemType.String, Definition = ProcedureElement + "outcome",
        });
        var catalog = TemplateCatalog.From([template]);
        var evidence = Cases.ClassicLeft();
        var qr = Responses.CompletedLeftNeurectomy(evidence, template);
        Set(qr, [LinkIds.Nerves, "treat-gon-left", "gon-left-device"], new FhirString("Bipolar forceps, 0.5 mm tips"));
        Set(qr, ["procedure-outcome"], new FhirString("Nerve divided as planned"));

        var read = NoteReader.Read(catalog, qr, Cases.Context(), evidence);
        Assert.True(read.CanSign, string.Join("\n", read.Outcome.Issue.Select(i => i.Details?.Text)));
        var procedure = Assert.Single(new NoteComposer().Compose(read.Note!, qr).Procedures);

        Assert.Equal("Bipolar forceps, 0.5 mm tips", Assert.Single(procedure.UsedCode).Text);
        Assert.Equal("Nerve divided as planned", procedure.Outcome?.Text);
        var outcome = ProfileValidator.Shared.Validate(procedure);
        Assert.True(ProfileValidator.IsValid(outcome), ValidationFixture.Errors(outcome));
    }

    [Fact]
    public void The_team_and_complications_are_extracted_into_every_procedure_beside_the_signer()
    {
        var (response, note) = SampleNotes.Filled(SampleNotes.Names[0]);

        var procedure = new NoteComposer().Compose(note, response).Procedures[0];

        Assert.Equal(["Primary surgeon", "Resident"], procedure.Performer.Select(p => p.Function?.Text));
        Assert.Equal("Dr Robin Resident", procedure.Performer[1].Actor.Display);
        Assert.Equal(Known.Codes.NoComplications, Assert.Single(procedure.Complication).Coding.Single().Code);
    }

    [Fact]
    public void A_definition_that_names_no_element_refuses_the_template()
    {
        var template = SiteTemplates.Build();
        TemplateCatalog.Flatten(template.Item).Single(i => i.LinkId == LinkIds.Complication).Definition = ProcedureElement + "complications";

        var e = Assert.Throws<TemplateCatalogException>(() => TemplateCatalog.From([template]));

        Assert.Contains($"item '{LinkIds.Complication}': its definition {ProcedureElement}complications names no element (Procedure has no element 'complications')", e.Message);
    }
}
