using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Sandbox.Ehr.Fhir;
using Xunit.Abstractions;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Browser;

/// <summary>The sandbox in its Epic-like mode: it files a note only as a DocumentReference against an encounter of the patient.</summary>
public sealed class EpicLikeBrowserWorld() : SandboxSettingBrowserWorld("Sandbox:Mode", "epic-like");

/// <summary>A launch without an encounter at an EHR that needs one: the surgeon chooses it on the note page, and the note is filed against it.</summary>
[Collection("Browser")]
[Trait("Category", "Slow")]
public class EncounterPickerTests(EpicLikeBrowserWorld w, ITestOutputHelper output) : IClassFixture<EpicLikeBrowserWorld>
{
    private const string Encounter = "Encounter/classic-left-surgery";

    [Fact]
    public async Task A_launch_without_an_encounter_asks_for_one_at_check_and_the_note_is_filed_against_the_encounter_chosen()
    {
        // The launcher's patient row launches with no encounter in context.
        var page = await w.LaunchFromLauncherAsync("classic-left");
        await page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (neurectomy)" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("neurectomy");
        var picker = page.Locator("#f-_encounter");
        await Assertions.Expect(page.GetByLabel("Encounter (required)")).ToBeVisibleAsync();
        await Assertions.Expect(picker.Locator("option[value='" + Encounter + "']")).ToHaveTextAsync(new Regex("^Day surgery: occipital nerve surgery, \\d{1,2} [A-Z][a-z]{2} \\d{4}.*, planned$"));
        await Assertions.Expect(page.Locator(".about")).ToContainTextAsync("Encounter: not given by the EHR (choose it in the form)");

        await page.Locator("#f-consent-obtained").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Tick all the risks listed" }).ClickAsync();
        await page.GetByLabel("Approach and incision").FillAsync("Transverse incision below the hairline");
        await page.Locator("#f-gon-left-treated").CheckAsync();
        var section = page.Locator("#f-treat-gon-left");
        await section.GetByLabel("Nerve entrapped").CheckAsync();
        await section.GetByLabel("Segment length").FillAsync("15");
        await section.GetByLabel("Proximal stump buried in muscle").CheckAsync();
        await section.GetByRole(AriaRole.Group, new() { Name = "Specimen sent to pathology" }).GetByLabel("Yes").CheckAsync();
        await page.GetByRole(AriaRole.Group, new() { Name = "Anaesthesia" }).GetByLabel("General anesthesia").CheckAsync();
        await page.Locator("#f-time-out").CheckAsync();
        await page.GetByRole(AriaRole.Group, new() { Name = "Complications (or: no complications)" }).GetByLabel("No complications").CheckAsync();
        await page.GetByLabel("Estimated blood loss").FillAsync("5");
        await page.GetByLabel("Discharge home the same day").CheckAsync();
        await page.GetByLabel("Pain management").FillAsync("Paracetamol and ibuprofen for 5 days");
        await page.GetByLabel("Wound care and infection prevention").FillAsync("Keep the wound dry for 48 hours");
        await page.GetByLabel("Return to activity").FillAsync("Light activity after one week");
        await page.GetByLabel("Start").FillAsync(NoteAnswers.HoursAgo(3));
        await page.GetByLabel("End (required)").FillAsync(NoteAnswers.HoursAgo(2));
        await page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync();

        // The only problem: the encounter, in the surgeon's words, at the control and in the summary; no Sign yet.
        await Assertions.Expect(page.Locator("#summary")).ToContainTextAsync("1 problem stops signing");
        await Assertions.Expect(page.Locator("#summary")).ToContainTextAsync("Choose the encounter this operation belongs to");
        await Assertions.Expect(page.Locator("#m-_encounter")).ToContainTextAsync("Choose the encounter this operation belongs to");
        await Assertions.Expect(page.Locator("#sign-start")).ToHaveCountAsync(0);
        Assert.DoesNotContain("/api/notes/encounters", await page.ContentAsync(), StringComparison.Ordinal);
        await w.ShotAsync(page, "30-encounter-missing");
        var violations = await BrowserWorld.SeriousViolationsAsync(page.MainFrame);
        Assert.True(violations.Count == 0, string.Join("\n", violations));

        // The summary links to the control; choosing clears the message as the answers are re-checked.
        await Assertions.Expect(page.Locator("#summary a[href='#f-_encounter']")).ToHaveCountAsync(1);
        await picker.SelectOptionAsync(new SelectOptionValue { Value = Encounter });
        await Assertions.Expect(page.Locator("#m-_encounter")).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync();
        await Assertions.Expect(page.Locator("#summary")).ToContainTextAsync("All checks passed");
        await Assertions.Expect(picker).ToHaveValueAsync(Encounter);
        await Assertions.Expect(page.Locator("pre.preview")).ToContainTextAsync("Encounter: Day surgery: occipital nerve surgery");
        await w.ShotAsync(page, "31-encounter-chosen");
        violations = await BrowserWorld.SeriousViolationsAsync(page.MainFrame);
        Assert.True(violations.Count == 0, string.Join("\n", violations));

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign and file the note" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm and sign" }).ClickAsync();
        await Assertions.Expect(page.Locator("#sign-status")).ToContainTextAsync("Signed and filed in the EHR", new() { Timeout = 90_000 });
        await w.ShotAsync(page, "32-encounter-signed");
        var reference = Regex.Match(await page.Locator("#sign-status").InnerTextAsync(), @"DocumentReference/([A-Za-z0-9\-\.]+)");
        Assert.True(reference.Success, await page.Locator("#sign-status").InnerTextAsync());
        output.WriteLine("Filed " + reference.Value);

        var store = w.World.Sandbox.Services.GetRequiredService<IFhirStore>();
        var document = Assert.IsType<DocumentReference>(await store.ReadAsync("DocumentReference", reference.Groups[1].Value));
        Assert.Equal(Encounter, document.Context!.Encounter.Single().Reference);
        Assert.Equal("Patient/classic-left", document.Subject!.Reference);
        Assert.Contains("Encounter: Day surgery: occipital nerve surgery", System.Text.Encoding.UTF8.GetString(document.Content.Single().Attachment!.Data!), StringComparison.Ordinal);
    }
}
