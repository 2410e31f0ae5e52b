using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Rhizotomy.Core.Validation;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.WriteBack;

[Trait("Category", "Slow")]
public class SigningTests
{
    public static async Task<SmartWorld> WorldAsync(string mode, string? strategy = null, bool realClock = true, Action<SmartWorld.Options>? more = null)
    {
        var options = new SmartWorld.Options { RealClock = realClock };
        options.Sandbox["Sandbox:Mode"] = mode;
        options.App["App:Ehrs:0:WriteStrategy"] = strategy;
        options.App["App:WriteBack:BaseDelayMs"] = "50";
        options.App["App:WriteBack:MaxDelayMs"] = "1000";
        options.App["App:WriteBack:PollMs"] = "100";
        more?.Invoke(options);
        var world = await SmartWorld.StartAsync(options);
        await world.SeedAsync(Charts.ClassicLeft());
        return world;
    }

    [Theory]
    [InlineData("full", null, "transaction", 5)]
    [InlineData("full", "individual", "individual", 5)]
    [InlineData("oracle-like", null, "transaction", 5)]
    [InlineData("epic-like", null, "document-only", 1)]
    public async Task Signing_writes_exactly_the_resources_the_ehr_accepts_linked_and_valid(string mode, string? configured, string strategy, int resources)
    {
        await using var world = await WorldAsync(mode, configured);
        using var tab = await SurgeonTab.LaunchAsync(world);

        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("note-" + mode));
        var body = await SurgeonTab.FinalAsync(tab, signed);

        Assert.True(body.GetProperty("status").GetString() == "written", body.ToString());
        Assert.Equal(strategy, body.GetProperty("strategy").GetString());
        Assert.Equal(configured is null ? "capability" : "configuration", body.GetProperty("strategySource").GetString());
        var references = body.GetProperty("references").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Equal(resources, references.Count);

        var chart = await SignedNotes.ChartAsync(world);
        var documents = SignedNotes.Written<DocumentReference>(chart);
        var document = Assert.Single(documents);
        Assert.Contains("DocumentReference/" + document.Id, references);
        Assert.Equal(CompositionStatus.Final, document.DocStatus);
        Assert.Equal("Practitioner/test-surgeon", document.Author.Single().Reference);
        Assert.Equal("Patient/test-classic-left", document.Subject!.Reference);
        Assert.Equal("Encounter/test-classic-left-surgery", document.Context!.Encounter.Single().Reference);
        var plain = document.Content.Single(c => c.Attachment!.ContentType!.StartsWith("text/plain", StringComparison.Ordinal));
        var text = System.Text.Encoding.UTF8.GetString(plain.Attachment!.Data!);
        Assert.Contains("neurectomy", text, StringComparison.OrdinalIgnoreCase);
        // The note names the patient with the birth date (two identifiers) and the encounter, in words.
        Assert.Contains("Patient: Alex Testperson, born 1980-04-02", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Encounter: none recorded", text, StringComparison.Ordinal);
        if (mode != "full")
            Assert.Single(document.Content);

        var procedures = SignedNotes.Written<Procedure>(chart);
        var compositions = SignedNotes.Written<Composition>(chart);
        var provenances = SignedNotes.Written<Provenance>(chart);
        var responses = SignedNotes.Written<QuestionnaireResponse>(chart);
        if (strategy == "document-only")
        {
            Assert.Empty(procedures);
            Assert.Empty(compositions);
            Assert.Empty(provenances);
            Assert.Empty(responses);
        }
        else
        {
            var procedure = Assert.Single(procedures);
            var composition = Assert.Single(compositions);
            var provenance = Assert.Single(provenances);
            var response = Assert.Single(responses);
            Assert.Equal(EventStatus.Completed, procedure.Status);
            // Links point at what the EHR created, not at the urn:uuid of the request.
            Assert.Contains(composition.Section.SelectMany(s => s.Entry), e => e.Reference == "Procedure/" + procedure.Id);
            var targets = provenance.Target.Select(t => t.Reference).ToHashSet();
            Assert.Contains("Procedure/" + procedure.Id, targets);
            Assert.Contains("Composition/" + composition.Id, targets);
            Assert.Contains("DocumentReference/" + document.Id, targets);
            Assert.Equal("QuestionnaireResponse/" + response.Id, provenance.Entity.Single().What!.Reference);
            Assert.Equal("Patient/test-classic-left", response.Subject!.Reference);
            Assert.Equal("Practitioner/test-surgeon", response.Author!.Reference);
            Assert.DoesNotContain(chart, r => new FhirJsonSerializer().SerializeToString(r).Contains("urn:uuid:", StringComparison.Ordinal));
        }

        foreach (var resource in new Resource[] { document }.Concat(procedures).Concat(compositions).Concat(provenances).Concat(responses))
        {
            var outcome = ProfileValidator.Shared.Validate(resource);
            Assert.True(ProfileValidator.IsValid(outcome), $"{resource.TypeName}: " + string.Join("; ", outcome.Issue
                .Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal).Select(i => i.Details?.Text ?? i.Diagnostics)));
        }
    }

    [Theory]
    [InlineData("full")]
    [InlineData("epic-like")]
    public async Task The_same_sign_request_five_times_at_once_and_five_times_in_a_row_writes_one_note(string mode)
    {
        await using var world = await WorldAsync(mode);
        using var tab = await SurgeonTab.LaunchAsync(world);
        var body = new FhirJsonSerializer().SerializeToString(SignedNotes.LeftNeurectomy("replayed-note"));

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => tab.SignAsync(body)));
        var sequential = new List<HttpResponseMessage>();
        for (var i = 0; i < 5; i++)
            sequential.Add(await tab.SignAsync(body));

        foreach (var response in concurrent.Concat(sequential))
        {
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted, response.StatusCode.ToString());
            Assert.Equal("replayed-note", (await SmartWorld.JsonAsync(response)).GetProperty("id").GetString());
            response.Dispose();
        }
        var status = await tab.SettledAsync("replayed-note");
        Assert.Equal("written", status.GetProperty("status").GetString());
        var chart = await SignedNotes.ChartAsync(world);
        Assert.Single(SignedNotes.Written<DocumentReference>(chart, "replayed-note"));
        Assert.Equal(mode == "full" ? 1 : 0, SignedNotes.Written<Composition>(chart, "replayed-note").Count);
    }

    [Fact]
    public async Task A_note_that_cannot_be_signed_gets_422_with_the_checks_outcome_and_nothing_is_stored()
    {
        await using var world = await WorldAsync("full");
        using var tab = await SurgeonTab.LaunchAsync(world);
        var incomplete = SignedNotes.LeftNeurectomy("incomplete-note");
        incomplete.Item.RemoveAll(i => i.LinkId == Rhizotomy.Core.Templates.LinkIds.Complications);

        using var response = await tab.SignAsync(incomplete);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var outcome = new FhirJsonDeserializer(new DeserializerSettings())
            .Deserialize<OperationOutcome>(await response.Content.ReadAsStringAsync());
        Assert.Contains(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error);
        using var status = new HttpRequestMessage(HttpMethod.Get, world.AppOrigin + "/api/notes/incomplete-note");
        using var missing = await tab.Browser.SendAsync(status);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Empty(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(world)));
    }

    [Fact]
    public async Task Signing_without_the_csrf_token_is_refused()
    {
        await using var world = await WorldAsync("full");
        using var tab = await SurgeonTab.LaunchAsync(world);
        using var request = new HttpRequestMessage(HttpMethod.Post, world.AppOrigin + "/api/notes")
        {
            Content = new StringContent(new FhirJsonSerializer().SerializeToString(SignedNotes.LeftNeurectomy("csrf-note")), System.Text.Encoding.UTF8, "application/fhir+json"),
        };
        using var response = await tab.Browser.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(world)));
    }

    [Fact]
    public async Task A_document_only_ehr_asks_for_an_encounter_when_the_launch_has_none_and_takes_a_chosen_one_of_the_patient()
    {
        await using var world = await WorldAsync("epic-like");
        using var tab = await SurgeonTab.LaunchAsync(world, encounter: null);
        var response = SignedNotes.LeftNeurectomy("no-encounter-note");
        response.Encounter = null;

        using var refused = await tab.SignAsync(response);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("encounter", await refused.Content.ReadAsStringAsync());

        using var list = new HttpRequestMessage(HttpMethod.Get, world.AppOrigin + "/api/notes/encounters");
        list.Headers.Add("X-Launch-Id", tab.LaunchId);
        using var listed = await tab.Browser.SendAsync(list);
        var choices = await SmartWorld.JsonAsync(listed);
        Assert.Contains(choices.EnumerateArray(), c => c.GetProperty("reference").GetString() == "Encounter/test-classic-left-surgery");

        response.Encounter = new ResourceReference("Encounter/test-classic-left-surgery");
        using var signed = await tab.SignAsync(response);
        Assert.Equal("written", (await SurgeonTab.FinalAsync(tab, signed)).GetProperty("status").GetString());
        var document = Assert.Single(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(world)));
        Assert.Equal("Encounter/test-classic-left-surgery", document.Context!.Encounter.Single().Reference);
    }

    [Fact]
    public async Task A_business_rule_refusal_marks_the_note_failed_with_the_ehrs_reason_and_keeps_it()
    {
        // Configuration that breaks the EHR's rule (HTML content to an EHR that takes plain text only).
        await using var world = await WorldAsync("epic-like", more: o => o.App["App:Ehrs:0:PlainTextOnly"] = "false");
        using var tab = await SurgeonTab.LaunchAsync(world);

        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("refused-note"));

        Assert.Equal("failed", (await SurgeonTab.FinalAsync(tab, signed)).GetProperty("status").GetString());
        var status = await tab.StatusAsync("refused-note");
        Assert.Equal("failed", status.GetProperty("status").GetString());
        Assert.Equal("HTTP 422", status.GetProperty("reason").GetString());
        // What the EHR refused, in its own words, and what to do (issue 14: a message a surgeon can act on).
        var message = status.GetProperty("message").GetString()!;
        Assert.StartsWith("The EHR found that the note does not meet its rules (HTTP 422). The EHR said: \u201c", message, StringComparison.Ordinal);
        Assert.Contains("text/plain", message, StringComparison.Ordinal);
        Assert.Contains("sign again", message, StringComparison.Ordinal);
        Assert.Contains("text/plain", status.GetProperty("outcome").GetRawText());
        Assert.Equal(1, status.GetProperty("attempts").GetInt32());
        var outbox = world.App.Services.GetRequiredService<Rhizotomy.App.WriteBack.Outbox>();
        var stored = await outbox.FindAsync("refused-note", CancellationToken.None);
        Assert.NotNull(stored?.Payload);
        Assert.Empty(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(world)));
    }
}

[Trait("Category", "Slow")]
public class AmendTests
{
    [Theory]
    [InlineData("full", 2, 1)]
    [InlineData("epic-like", 2, 0)]
    public async Task An_amendment_replaces_the_signed_note_updates_its_procedure_and_has_its_own_provenance(string mode, int documents, int procedures)
    {
        await using var world = await SigningTests.WorldAsync(mode);
        using var tab = await SurgeonTab.LaunchAsync(world);
        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("amended-note"));
        Assert.Equal("written", (await SurgeonTab.FinalAsync(tab, signed)).GetProperty("status").GetString());
        var context = await SmartWorld.JsonAsync(await tab.Browser.GetAsync(new Uri(world.AppOrigin + "/api/context")));

        // An amendment that changes nothing is refused, and nothing is filed.
        using (var same = new HttpRequestMessage(HttpMethod.Post, world.AppOrigin + "/api/notes/amended-note/$amend")
        {
            Content = new StringContent(new FhirJsonSerializer().SerializeToString(SignedNotes.LeftNeurectomy("amended-note")), System.Text.Encoding.UTF8, "application/fhir+json"),
        })
        {
            same.Headers.Add("X-Launch-Id", tab.LaunchId);
            same.Headers.Add("X-CSRF-Token", context.GetProperty("csrfToken").GetString());
            using var unchanged = await tab.Browser.SendAsync(same);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, unchanged.StatusCode);
            Assert.Contains("Nothing changed", await unchanged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var corrected = SignedNotes.LeftNeurectomy("amended-note");
        NoteAnswers.Set(corrected, [Rhizotomy.Core.Templates.LinkIds.EstimatedBloodLoss], new FhirDecimal(40m));
        var body = new FhirJsonSerializer().SerializeToString(corrected);
        using var request = new HttpRequestMessage(HttpMethod.Post, world.AppOrigin + "/api/notes/amended-note/$amend")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/fhir+json"),
        };
        request.Headers.Add("X-Launch-Id", tab.LaunchId);
        request.Headers.Add("X-CSRF-Token", context.GetProperty("csrfToken").GetString());
        using var amended = await tab.Browser.SendAsync(request);
        var status = await SurgeonTab.FinalAsync(tab, amended);
        Assert.True(status.GetProperty("status").GetString() == "written", status.ToString());
        var amendmentId = status.GetProperty("id").GetString()!;
        Assert.StartsWith("amended-note-a", amendmentId);

        var chart = await SignedNotes.ChartAsync(world);
        var docs = SignedNotes.Written<DocumentReference>(chart, "amended-note");
        Assert.Equal(documents, docs.Count);
        var original = docs.Single(d => SignedNotes.NoteIds(d).Single() == "amended-note");
        var amendment = docs.Single(d => SignedNotes.NoteIds(d).Single() == amendmentId);
        var relates = Assert.Single(amendment.RelatesTo);
        Assert.Equal(DocumentRelationshipType.Replaces, relates.Code);
        Assert.Equal("DocumentReference/" + original.Id, relates.Target!.Reference);
        Assert.Equal(procedures, SignedNotes.Written<Procedure>(chart, "amended-note").Count);
        Assert.Equal(DocumentReferenceStatus.Current, amendment.Status);
        if (mode == "full")
        {
            // The EHR allows DocumentReference update: the original is superseded there, not left current beside its amendment.
            Assert.Equal(DocumentReferenceStatus.Superseded, original.Status);
            var procedure = Assert.Single(SignedNotes.Written<Procedure>(chart, "amended-note"));
            Assert.Equal("2", procedure.Meta!.VersionId);
            var composition = SignedNotes.Written<Composition>(chart, amendmentId).Single();
            Assert.Equal(CompositionStatus.Amended, composition.Status);
            Assert.Equal(2, SignedNotes.Written<Provenance>(chart, "amended-note").Count);
            Assert.Contains(SignedNotes.Written<Provenance>(chart, amendmentId).Single().Target, t => t.Reference == "Procedure/" + procedure.Id);
        }
    }
}

[Trait("Category", "Slow")]
public class PreviewTests
{
    [Fact]
    public async Task The_preview_shows_the_rendered_note_and_strategy_and_writes_nothing()
    {
        await using var world = await SigningTests.WorldAsync("epic-like");
        using var tab = await SurgeonTab.LaunchAsync(world);
        var context = await SmartWorld.JsonAsync(await tab.Browser.GetAsync(new Uri(world.AppOrigin + "/api/context")));
        using var request = new HttpRequestMessage(HttpMethod.Post, world.AppOrigin + "/api/notes/$preview")
        {
            Content = new StringContent(new FhirJsonSerializer().SerializeToString(SignedNotes.LeftNeurectomy("preview-note")), System.Text.Encoding.UTF8, "application/fhir+json"),
        };
        request.Headers.Add("X-Launch-Id", tab.LaunchId);
        request.Headers.Add("X-CSRF-Token", context.GetProperty("csrfToken").GetString());

        using var response = await tab.Browser.SendAsync(request);
        var preview = await SmartWorld.JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("document-only", preview.GetProperty("strategy").GetString());
        Assert.Contains("neurectomy", preview.GetProperty("text").GetString(), StringComparison.OrdinalIgnoreCase);
        using var status = new HttpRequestMessage(HttpMethod.Get, world.AppOrigin + "/api/notes/preview-note");
        status.Headers.Add("X-Launch-Id", tab.LaunchId);
        Assert.Equal(HttpStatusCode.NotFound, (await tab.Browser.SendAsync(status)).StatusCode);
        Assert.Empty(SignedNotes.Written<DocumentReference>(await SignedNotes.ChartAsync(world)));
    }
}
