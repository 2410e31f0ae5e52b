using System.Net;
using Hl7.Fhir.Model;
using Rhizotomy.App.Tests.WriteBack;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Form;

/// <summary>One sandbox and app with a note signed by test-surgeon for patient A (Alex Testperson's left-sided chart).</summary>
public sealed class MyUsualWorld : IAsyncLifetime
{
    public const string OtherPatient = "test-usual-b";
    public const string RemarkOfA = "Remark about this patient only (A)";

    public SmartWorld World { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        World = await SmartWorld.StartAsync();
        await World.SeedAsync(Charts.ClassicLeft());
        await World.SeedAsync(Charts.ClassicLeft(OtherPatient));
        // Patient A's note: the surgeon's habits (segment 14 mm, the incision, the plan) and this patient's own facts.
        var qr = SignedNotes.LeftNeurectomy("rz-usual-a");
        NoteAnswers.Set(qr, [LinkIds.Nerves, NoteAnswers.For(Nerve.GreaterOccipital, Side.Left).Group, NoteAnswers.For(Nerve.GreaterOccipital, Side.Left).SegmentLength], new FhirDecimal(14m));
        NoteAnswers.Set(qr, [LinkIds.Nerves, NoteAnswers.For(Nerve.GreaterOccipital, Side.Left).Group, NoteAnswers.For(Nerve.GreaterOccipital, Side.Left).FindingsText], new FhirString("Finding of patient A"));
        NoteAnswers.Set(qr, [LinkIds.EstimatedBloodLoss], new FhirDecimal(17m));
        NoteAnswers.Set(qr, ["additional-notes"], new FhirString(RemarkOfA));
        using var tab = await SurgeonTab.LaunchAsync(World);
        using var signed = await tab.SignAsync(qr);
        var final = await SurgeonTab.FinalAsync(tab, signed);
        Assert.Equal("written", final.GetProperty("status").GetString());
    }

    public async Task DisposeAsync() => await World.DisposeAsync();
}

/// <summary>"My usual": the surgeon's technique, closure and plan from their previous signed note of the template, marked for review.</summary>
public class MyUsualTests(MyUsualWorld u) : IClassFixture<MyUsualWorld>
{
    private static readonly NerveSide LeftGon = NoteAnswers.For(Nerve.GreaterOccipital, Side.Left);
    private static readonly NerveSide RightGon = NoteAnswers.For(Nerve.GreaterOccipital, Side.Right);

    private async Task<(HttpClient Browser, string LaunchId)> LaunchAsync(string patient, string practitioner)
    {
        var browser = SmartWorld.Browser();
        using var page = await browser.GetAsync(u.World.LaunchUrl(patient, practitioner, patient + "-surgery"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        return (browser, page.RequestMessage!.RequestUri!.AbsolutePath.Split('/')[2]);
    }

    private static async Task<HtmlForm> GetAsync(HttpClient browser, string path)
    {
        using var page = await browser.GetAsync(path);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, html);
        return new HtmlForm(html);
    }

    [Fact]
    public async Task My_usual_fills_another_patients_note_with_the_surgeons_technique_closure_and_plan_marked_for_review()
    {
        var (browser, launchId) = await LaunchAsync(MyUsualWorld.OtherPatient, "test-surgeon");
        using var _ = browser;
        var form = await GetAsync(browser, $"{u.World.AppOrigin}/s/{launchId}/note?template=occipital-neurectomy&fresh=1&usual=1");

        Assert.Contains("My usual filled", form.Page.QuerySelector("#usual-filled")?.TextContent);
        // Carried: the surgeon's habits, on the nerve of the previous note (either side: the side is chosen now).
        Assert.Equal(["3 cm transverse incision below the occipital hairline"], form.Values(LinkIds.Incision));
        Assert.Equal(["14"], form.Values(LeftGon.SegmentLength));
        Assert.Equal(["14"], form.Values(RightGon.SegmentLength));
        Assert.Single(form.Values(LeftGon.Stump));
        Assert.Equal(["true"], form.Values(LeftGon.SpecimenSent));
        Assert.Single(form.Values(LinkIds.Anaesthesia));
        Assert.Single(form.Values(LinkIds.Disposition));
        Assert.Equal(["Paracetamol and ibuprofen for 5 days"], form.Values(LinkIds.PlanPain));
        Assert.Equal(["Clinic in 2 weeks"], form.Values(LinkIds.FollowUp));
        // Marked for review, at each item filled.
        Assert.NotNull(form.Page.QuerySelector("#w-incision .tag.usual"));
        Assert.NotNull(form.Page.QuerySelector("#w-gon-left-segment-length .tag.usual"));
        Assert.NotEmpty(form.Values(LinkIds.Incision + "~usual"));

        // Never carried: side, time-out, consent, complications, blood loss, times, findings.
        foreach (var never in new[]
        {
            LeftGon.Treated, RightGon.Treated, "time-out", LinkIds.ConsentObtained, LinkIds.RisksDiscussed, LinkIds.Complication,
            LinkIds.EstimatedBloodLoss, LinkIds.PerformedStart, LinkIds.PerformedEnd, LeftGon.Findings, LeftGon.FindingsText, "additional-notes",
        })
            Assert.All(form.Values(never), v => Assert.Equal("", v));
        // Nothing of patient A reaches patient B's page: not A's id, facts, times or remarks.
        Assert.DoesNotContain("test-classic-left", form.Html);
        Assert.DoesNotContain("Finding of patient A", form.Html);
        Assert.DoesNotContain(MyUsualWorld.RemarkOfA, form.Html);
        Assert.DoesNotContain("2026-11-20", form.Html);
        Assert.DoesNotContain("rz-usual-a", form.Html);
    }

    [Fact]
    public async Task Another_surgeons_note_is_never_used_and_their_case_page_offers_no_usual()
    {
        var (browser, launchId) = await LaunchAsync(MyUsualWorld.OtherPatient, "surgeon-2");
        using var _ = browser;
        var casePage = await GetAsync(browser, $"{u.World.AppOrigin}/s/{launchId}");
        Assert.DoesNotContain("with my usual", casePage.Html);
        var form = await GetAsync(browser, $"{u.World.AppOrigin}/s/{launchId}/note?template=occipital-neurectomy&fresh=1&usual=1");
        Assert.Contains("no earlier signed note", form.Page.QuerySelector("#usual-filled")?.TextContent);
        Assert.Equal([""], form.Values(LinkIds.Incision));
        Assert.Equal([""], form.Values(LeftGon.SegmentLength));
        Assert.Null(form.Page.QuerySelector(".tag.usual"));
    }

    [Fact]
    public async Task The_case_page_offers_the_template_with_my_usual_and_the_note_pages_button_keeps_what_was_typed()
    {
        var (browser, launchId) = await LaunchAsync(MyUsualWorld.OtherPatient, "test-surgeon");
        using var _ = browser;
        var casePage = await GetAsync(browser, $"{u.World.AppOrigin}/s/{launchId}");
        Assert.NotNull(casePage.Page.QuerySelector("a[href$='template=occipital-neurectomy&usual=1']"));
        Assert.Null(casePage.Page.QuerySelector("a[href$='template=occipital-coagulation&usual=1']"));

        var form = await GetAsync(browser, $"{u.World.AppOrigin}/s/{launchId}/note?template=occipital-neurectomy&fresh=1");
        Assert.Null(form.Page.QuerySelector(".tag.usual"));
        form.Set(LinkIds.Incision, "Today's own incision").Set(LeftGon.Treated, "true");
        using var posted = await browser.PostAsync(u.World.AppOrigin + form.Action, form.Content(Rhizotomy.App.Form.NotePage.UsualAction));
        var after = new HtmlForm(await posted.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        // What the surgeon typed stays theirs (and unmarked); the empty items are filled and marked.
        Assert.Equal(["Today's own incision"], after.Values(LinkIds.Incision));
        Assert.Null(after.Page.QuerySelector("#w-incision .tag.usual"));
        Assert.Equal(["true"], after.Values(LeftGon.Treated));
        Assert.Equal(["14"], after.Values(LeftGon.SegmentLength));
        Assert.NotNull(after.Page.QuerySelector("#w-gon-left-segment-length .tag.usual"));

        // Changed by the surgeon: the mark goes (a round trip compares the answer with what My usual filled).
        after.Set(LeftGon.SegmentLength, "12");
        using var checkedNow = await browser.PostAsync(u.World.AppOrigin + after.Action, after.Content("check"));
        var reviewed = new HtmlForm(await checkedNow.Content.ReadAsStringAsync());
        Assert.Null(reviewed.Page.QuerySelector("#w-gon-left-segment-length .tag.usual"));
        Assert.NotNull(reviewed.Page.QuerySelector("#w-plan-pain .tag.usual"));
    }
}
