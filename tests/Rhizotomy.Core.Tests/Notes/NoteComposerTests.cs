using System.Text;
using System.Xml.Linq;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Validation;
using Rhizotomy.Core.Tests.Validation;

namespace Rhizotomy.Core.Tests.Notes;

public class NoteComposerTests(ValidationFixture fixture) : IClassFixture<ValidationFixture>
{
    private static readonly FhirJsonSerializer Serializer = new();

    private static ComposedNote Compose(OperativeNote note) => new NoteComposer().Compose(note, SampleNotes.Response(note));

    private static string Json(ComposedNote composed) => string.Join("\n", composed.Resources.Select(r => Serializer.SerializeToString(r)));

    [Fact]
    public void Composing_the_same_note_twice_gives_identical_resources_and_ids()
    {
        var first = Compose(SampleNotes.BilateralCoagulation());
        var second = Compose(SampleNotes.BilateralCoagulation());

        Assert.Equal(Json(first), Json(second));
        Assert.Equal(first.Entries.Select(e => e.FullUrl), second.Entries.Select(e => e.FullUrl));
        Assert.Equal(Serializer.SerializeToString(first.ToTransactionBundle()), Serializer.SerializeToString(second.ToTransactionBundle()));
    }

    [Fact]
    public void Another_note_id_gets_other_urn_uuids()
    {
        var note = SampleNotes.Neurectomy();
        var other = note with { Context = note.Context with { NoteId = "another-note" } };

        var urls = Compose(note).Entries.Select(e => e.FullUrl).ToList();
        Assert.Empty(urls.Intersect(Compose(other).Entries.Select(e => e.FullUrl)));
        Assert.All(urls, url => Assert.True(Guid.TryParse(url["urn:uuid:".Length..], out _) && url.StartsWith("urn:uuid:", StringComparison.Ordinal), url));
        Assert.Equal(urls.Count, urls.Distinct().Count());
    }

    [Fact]
    public void Bilateral_coagulation_writes_one_procedure_per_nerve_and_side()
    {
        var procedures = Compose(SampleNotes.BilateralCoagulation()).Procedures;

        Assert.Equal(2, procedures.Count);
        Assert.Equal([Known.Snomed.Left, Known.Snomed.Right], procedures.Select(p => p.BodySite.Single(b => b.Coding[0].System == Known.Systems.Snomed).Coding[0].Code));
        Assert.Equal([Known.Codes.GreaterOccipitalNerve, Known.Codes.LesserOccipitalNerve], procedures.Select(p => p.BodySite.Single(b => b.Coding[0].System == Known.ProjectCodeSystem).Coding[0].Code));
        Assert.All(procedures, p => Assert.Equal(Known.Codes.OccipitalNerveCoagulation, p.Code!.Coding[0].Code));
        // Each side's Procedure gives that side's diagnosis as its reason.
        Assert.Equal(["Condition/example-occipital-neuralgia", "Condition/example-occipital-neuralgia-right"], procedures.Select(p => p.ReasonReference.Single().Reference));
    }

    [Fact]
    public void A_procedure_never_cites_a_diagnosis_of_the_other_side_as_its_reason()
    {
        var note = SampleNotes.BilateralCoagulation();
        // Only the right-sided diagnosis: the left Procedure has no reason on its side, and must not borrow the right one.
        note = note with { PreoperativeDiagnoses = [.. note.PreoperativeDiagnoses.Where(d => d.Side == Side.Right)] };

        var procedures = Compose(note).Procedures;

        Assert.Empty(procedures[0].ReasonReference);
        Assert.Empty(procedures[0].ReasonCode);
        Assert.Equal("Condition/example-occipital-neuralgia-right", procedures[1].ReasonReference.Single().Reference);
    }

    [Fact]
    public void Every_resource_carries_the_note_identifier_and_procedures_a_suffixed_one()
    {
        var composed = Compose(SampleNotes.BilateralCoagulation());
        const string noteId = "example-coagulation-0002";

        Assert.Equal(noteId, composed.Composition.Identifier!.Value);
        Assert.Equal(noteId, composed.DocumentReference.Identifier.Single().Value);
        Assert.Equal(noteId, composed.Source!.Identifier!.Value);
        Assert.Contains(composed.Provenance.Meta!.Tag, t => t.System == Known.NoteIdentifierSystem && t.Code == noteId);
        var procedureIds = composed.Procedures.Select(p => p.Identifier.Single(i => i.System == Known.NoteIdentifierSystem).Value).ToList();
        Assert.Equal([noteId + "-procedure-left-greater-occipital-nerve", noteId + "-procedure-right-lesser-occipital-nerve"], procedureIds);
    }

    [Fact]
    public void Transaction_bundle_creates_each_resource_only_if_its_identifier_is_not_there()
    {
        var composed = Compose(SampleNotes.Neurectomy());
        var bundle = composed.ToTransactionBundle();

        Assert.Equal(Bundle.BundleType.Transaction, bundle.Type);
        Assert.Equal(composed.Entries.Count, bundle.Entry.Count);
        foreach (var entry in bundle.Entry)
        {
            Assert.Equal(Bundle.HTTPVerb.POST, entry.Request!.Method);
            Assert.Equal(entry.Resource!.TypeName, entry.Request.Url);
            var expected = entry.Resource is Provenance
                ? $"_tag={Known.NoteIdentifierSystem}|example-neurectomy-0001"
                : $"identifier={Known.NoteIdentifierSystem}|";
            Assert.StartsWith(expected, entry.Request.IfNoneExist, StringComparison.Ordinal);
        }
        var outcome = fixture.Ours.Validate(bundle);
        Assert.True(ProfileValidator.IsValid(outcome), ValidationFixture.Errors(outcome));
    }

    [Fact]
    public void Conditional_create_searches_escape_the_note_id()
    {
        var note = SampleNotes.Neurectomy();
        var odd = note with { Context = note.Context with { NoteId = "a|b,c d" } };

        var composition = new NoteComposer().Compose(odd).Entries.Single(e => e.Resource is Composition);

        Assert.Equal($"identifier={Known.NoteIdentifierSystem}|a%5C%7Cb%5C%2Cc%20d", composition.IfNoneExist);
        Assert.Equal("a|b,c d", ((Composition)composition.Resource).Identifier!.Value);
    }

    [Fact]
    public void The_template_response_carries_the_note_id_whatever_the_draft_carried()
    {
        var note = SampleNotes.Neurectomy();
        var response = SampleNotes.Response(note);
        response.Identifier = new Identifier("urn:example:drafts", "draft-17");

        var source = new NoteComposer().Compose(note, response).Source!;

        Assert.Equal((Known.NoteIdentifierSystem, note.Context.NoteId), (source.Identifier!.System, source.Identifier.Value));
    }

    [Fact]
    public void Provenance_targets_every_written_resource_with_the_surgeon_as_author_and_the_template_as_source()
    {
        var composed = Compose(SampleNotes.Neurectomy());
        var provenance = composed.Provenance;

        var others = composed.Entries.Where(e => e.Resource is not Provenance).Select(e => e.FullUrl);
        Assert.Equal(others, provenance.Target.Select(t => t.Reference));
        Assert.Equal("Practitioner/example-surgeon", provenance.Agent.Single().Who!.Reference);
        var source = Assert.Single(provenance.Entity);
        Assert.Equal(Provenance.ProvenanceEntityRole.Source, source.Role);
        Assert.Equal(composed.Entries.Single(e => e.Resource is QuestionnaireResponse).FullUrl, source.What!.Reference);
    }

    [Fact]
    public void Composition_references_the_procedures_and_the_chart_evidence()
    {
        var composed = Compose(SampleNotes.Neurectomy());
        var sections = composed.Composition.Section.ToDictionary(s => s.Code!.Coding[0].Code!);

        Assert.Equal(composed.Entries.Where(e => e.Resource is Procedure).Select(e => e.FullUrl), sections[Known.Loinc.ProcedureDescription].Entry.Select(r => r.Reference));
        Assert.Equal(["Condition/example-occipital-neuralgia"], sections[Known.Loinc.PreoperativeDiagnosis].Entry.Select(r => r.Reference));
        Assert.Contains("DiagnosticReport/example-mri", sections[Known.Loinc.ProcedureIndications].Entry.Select(r => r.Reference));
        Assert.All(new[] { Known.Loinc.ProcedureIndications, Known.Loinc.ProcedureDisposition, Known.Loinc.PlanOfTreatment }, code => Assert.True(sections.ContainsKey(code), code));
    }

    [Fact]
    public void Document_reference_carries_the_whole_note_as_text_and_html()
    {
        var composed = Compose(SampleNotes.Neurectomy());
        var content = composed.DocumentReference.Content.ToDictionary(c => c.Attachment!.ContentType!);

        // The media types say UTF-8 (notes carry "°C" and non-Latin names), with US Core's format code.
        Assert.Equal(composed.Text, Encoding.UTF8.GetString(content["text/plain; charset=utf-8"].Attachment!.Data!));
        Assert.Equal(composed.Html, Encoding.UTF8.GetString(content["text/html; charset=utf-8"].Attachment!.Data!));
        Assert.All(composed.DocumentReference.Content, c => Assert.Equal("urn:ihe:iti:xds:2017:mimeTypeSufficient", c.Format!.Code));
        Assert.Contains("PROCEDURE DESCRIPTION", composed.Text);
        Assert.Contains("<h2>Procedure description</h2>", composed.Html);
    }

    [Fact]
    public void Dates_carry_times_and_offsets()
    {
        var composed = Compose(SampleNotes.Neurectomy());

        Assert.Equal("2026-03-04T11:20:00-05:00", composed.Composition.Date);
        Assert.Equal("2026-03-04T08:15:00-05:00", composed.DocumentReference.Context!.Period!.Start);
        Assert.Equal("2026-03-04T09:40:00-05:00", ((Period)composed.Procedures[0].Performed!).End);
        Assert.Contains("\"date\":\"2026-03-04T11:20:00-05:00\"", Serializer.SerializeToString(composed.DocumentReference));
    }

    [Fact]
    public void Hostile_strings_are_escaped_in_every_markup_and_the_note_stays_valid()
    {
        const string hostile = "<script>alert('x')</script> & \"quoted\" \u0001 <img src=x onerror=alert(1)>";
        var note = SampleNotes.Neurectomy() with { Approach = hostile, AdditionalNotes = "</div><p>injected" };
        var composed = Compose(note);

        Assert.DoesNotContain("<script>", composed.Html);
        Assert.DoesNotContain("<img", composed.Html);
        // The hostile string is text of the page (escaped by the XML writer), never markup.
        Assert.Contains(XDocument.Parse(composed.Html).Descendants(), e => !e.HasElements
            && e.Value.Contains("<script>alert('x')</script> & \"quoted\"", StringComparison.Ordinal));
        Assert.DoesNotContain("\u0001", composed.Text);
        foreach (var section in composed.Composition.Section)
        {
            var div = XElement.Parse(section.Text!.Div!);
            Assert.DoesNotContain(div.Descendants(), e => e.Name.LocalName is "script" or "img" or "div");
        }
        var outcome = fixture.Ours.Validate(composed.Composition);
        Assert.True(ProfileValidator.IsValid(outcome), ValidationFixture.Errors(outcome));
    }

    [Fact]
    public void No_complications_is_said_only_when_the_surgeon_said_it()
    {
        var none = Compose(SampleNotes.Neurectomy());
        Assert.Contains("No complications.", none.Text);
        Assert.Equal(Known.Codes.NoComplications, none.Procedures[0].Complication.Single().Coding[0].Code);

        var note = SampleNotes.Neurectomy() with { Complications = new ComplicationStatement(false, [Known.Codes.Bleeding], "Venous ooze controlled with bipolar") };
        var some = Compose(note);
        Assert.DoesNotContain("No complications", some.Text);
        Assert.Contains("Complications: bleeding.", some.Text);
        Assert.Contains("Venous ooze controlled with bipolar", some.Text);
        Assert.Equal([Known.Codes.Bleeding], some.Procedures[0].Complication.Select(c => c.Coding[0].Code));
    }

    [Fact]
    public void Implants_and_drains_answered_none_are_written_as_a_surgeon_says_it()
    {
        var note = SampleNotes.Neurectomy() with { Implants = OperativeNote.NoneRecorded, Drains = OperativeNote.NoneRecorded };
        var composed = Compose(note);

        var sections = composed.Composition.Section.ToDictionary(s => s.Code!.Coding[0].Code!);
        Assert.Contains("No implants.", sections[Known.Loinc.ProcedureImplants].Text!.Div);
        Assert.Contains("No drains.", sections[Known.Loinc.SurgicalDrains].Text!.Div);
        Assert.Contains("No implants.", composed.Text);
        Assert.Contains("No drains.", composed.Text);
        Assert.DoesNotContain(OperativeNote.NoneRecorded, composed.Text.Split('\n'));
        Assert.DoesNotContain("None", composed.Text.Split('\n').Select(l => l.Trim()));
        Assert.True(ProfileValidator.IsValid(fixture.Ours.Validate(composed.Composition)));
    }

    [Fact]
    public void Implants_and_drains_in_words_are_written_as_given_and_unrecorded_ones_not_at_all()
    {
        var described = Compose(SampleNotes.Neurectomy() with { Implants = "Silicone nerve cap on the proximal stump", Drains = null });
        Assert.Contains("Silicone nerve cap on the proximal stump", described.Text);
        Assert.DoesNotContain("No implants", described.Text);
        Assert.DoesNotContain(described.Composition.Section, s => s.Code!.Coding[0].Code == Known.Loinc.SurgicalDrains);
    }

    [Fact]
    public void The_source_questionnaire_response_is_copied_not_changed()
    {
        var note = SampleNotes.Neurectomy();
        var response = SampleNotes.Response(note);
        var before = Serializer.SerializeToString(response);

        var composed = new NoteComposer().Compose(note, response);

        Assert.Equal(before, Serializer.SerializeToString(response));
        Assert.NotSame(response, composed.Source);
    }

    [Fact]
    public void A_note_that_treats_the_same_nerve_and_side_twice_is_refused()
    {
        var note = SampleNotes.Neurectomy();
        var twice = note with { Treatments = [note.Treatments[0], note.Treatments[0]] };

        var error = Assert.Throws<ArgumentException>(() => new NoteComposer().Compose(twice));
        Assert.Contains("same nerve on the same side", error.Message);
    }
}
