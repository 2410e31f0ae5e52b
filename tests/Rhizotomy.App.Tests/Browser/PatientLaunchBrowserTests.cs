using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Rhizotomy.App.Sessions;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Browser;

/// <summary>The sandbox signs a patient in on a standalone launch (<c>fhirUser</c> = the patient, not a Practitioner).</summary>
public sealed class PatientUserBrowserWorld() : SandboxSettingBrowserWorld("Sandbox:StandaloneUser", "patient");

/// <summary>Issue 14 point 5 in a real browser: a patient's standalone launch opens read-only, says why, and never shows the sign controls.</summary>
[Collection("Browser")]
[Trait("Category", "Slow")]
public class PatientLaunchBrowserTests(PatientUserBrowserWorld w) : IClassFixture<PatientUserBrowserWorld>
{
    [Fact]
    public async Task A_patient_signed_in_by_standalone_launch_reads_the_chart_and_the_note_but_is_never_offered_signing()
    {
        var page = await w.PageAsync();
        // A standalone launch from the app's own start (iss only): the sandbox signs the patient in.
        await page.GotoAsync($"{w.World.AppOrigin}/launch?iss={Uri.EscapeDataString(w.World.Issuer)}");
        await w.ArriveAsync(page, new Regex("^" + Regex.Escape(w.World.AppOrigin) + "/s/[^/?]+$"));

        // The case page: the chart is read, the page says read-only and why.
        await Assertions.Expect(page.Locator("#read-only")).ToHaveTextAsync(ContextModel.NotPractitionerNotice);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Diagnoses" })).ToBeVisibleAsync();
        await w.ShotAsync(page, "60-patient-case");

        // The note page: the same reason; the note can be filled and checked, then signing is not offered.
        await page.GetByRole(AriaRole.Link, new() { Name = "Write the operative note (neurectomy)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#read-only")).ToHaveTextAsync(ContextModel.NotPractitionerNotice);
        await FailurePage.FillCleanLeftNeurectomyAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Check the note" }).ClickAsync();

        await Assertions.Expect(page.Locator("pre.preview")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#sign-unavailable")).ToHaveTextAsync("Not offered: " + ContextModel.NotPractitionerNotice);
        await Assertions.Expect(page.Locator("#sign-start")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#sign-confirm")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("sign", RegexOptions.IgnoreCase) })).ToHaveCountAsync(0);
        await w.ShotAsync(page, "61-patient-note-read-only");
        var violations = await BrowserWorld.SeriousViolationsAsync(page.MainFrame);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }
}
