using System.Net;

namespace Rhizotomy.App.Tests.Form;

public class NotePageTests(FormWorld f) : IClassFixture<FormWorld>
{
    private async Task<HtmlForm> OpenAsync(string template = "occipital-neurectomy")
    {
        // Checks save the draft, which the page would resume: each test starts from the chart instead.
        using var page = await f.Browser.GetAsync(f.Url($"/s/{f.LaunchId}/note?template={template}&fresh=1"));
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, html);
        return new HtmlForm(html);
    }

    private async Task<HtmlForm> PostAsync(HtmlForm form, string action = "check")
    {
        using var response = await f.Browser.PostAsync(f.Url(form.Action), form.Content(action));
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, html);
        return new HtmlForm(html);
    }

    /// <summary>A left greater occipital neurectomy with every required answer, as a surgeon fills it.</summary>
    public static HtmlForm FillLeftGreaterOccipitalNeurectomy(HtmlForm form)
    {
        form.Set("consent-obtained", "true")
            .Set("anaesthesia", form.FirstOption("anaesthesia"))
            .Set("time-out", "true")
            .Set("risks-discussed", form.Options("risks-discussed").Take(2).ToArray())
            .Set("incision", "Midline incision below the hairline")
            .Set("gon-left-treated", "true")
            .Set("gon-left-findings", form.FirstOption("gon-left-findings"))
            .Set("gon-left-segment-length", "15")
            .Set("gon-left-stump", form.FirstOption("gon-left-stump"))
            .Set("gon-left-specimen-sent", "true")
            .Set("complication", form.Options("complication").First(o => o.Contains("No complications", StringComparison.OrdinalIgnoreCase)))
            .Set("estimated-blood-loss", "5")
            .Set("disposition", form.FirstOption("disposition"))
            .Set("plan-pain", "Paracetamol and ibuprofen")
            .Set("plan-wound", "Keep dry 48 h")
            .Set("plan-activity", "Light activity after one week")
            .Set("performed-start", NoteAnswers.HoursAgo(3))
            .Set("performed-end", NoteAnswers.HoursAgo(2));
        return form;
    }

    [Fact]
    public async Task The_note_page_renders_the_template_with_labels_units_and_chart_answers_marked()
    {
        var form = await OpenAsync();
        var html = form.Html;
        Assert.Contains("Alex Testperson", html);
        Assert.Contains("from chart", html);
        Assert.Contains("(required)", html);
        Assert.Contains("<span class=\"unit\">mL</span>", html);
        Assert.Contains("Segment length", html);
        Assert.Contains("class=\"tag default\">default", html);
        // Every visible control has a label that names it.
        foreach (var control in form.Page.QuerySelectorAll("input[id], select[id], textarea[id]"))
        {
            if (control.GetAttribute("type") == "hidden")
                continue;
            Assert.Contains(form.Page.QuerySelectorAll("label[for]"), label => label.GetAttribute("for") == control.Id);
        }
        // Branches behind an unmet enableWhen are on the page but hidden.
        Assert.True(Html.Hidden(html, "w-gon-left-segment-length") == true, "w-gon-left-segment-length is hidden");
        // The evidence page links here.
        var evidence = await f.Browser.GetStringAsync(f.Url($"/s/{f.LaunchId}"));
        Assert.Contains($"/s/{f.LaunchId}/note?template=occipital-neurectomy", evidence);
    }

    [Fact]
    public async Task A_check_round_trip_keeps_what_was_typed_and_puts_messages_at_their_fields()
    {
        var form = await OpenAsync();
        form.Set("gon-left-treated", "true").Set("gon-left-segment-length", "twelve").Set("plan-pain", "Paracetamol <b>as needed</b>")
            .Set("prior-block-date.1", "2025-02-03");
        var after = await PostAsync(form);
        var html = after.Html;
        Assert.Equal(["twelve"], after.Values("gon-left-segment-length"));
        Assert.Equal(["Paracetamol <b>as needed</b>"], after.Values("plan-pain"));
        Assert.Equal(["2025-02-03"], after.Values("prior-block-date.1"));
        Assert.Contains("is not a number", html);
        Assert.NotNull(Html.Parse(html).GetElementById("m-gon-left-segment-length"));
        Assert.Contains("role=\"alert\"", html);
        Assert.Contains("Consent", html);
        // The section of the ticked nerve is open now.
        Assert.True(Html.Hidden(html, "f-treat-gon-left") == false, "f-treat-gon-left is shown");
        Assert.DoesNotContain("<b>as needed</b>", html);
    }

    [Fact]
    public async Task A_complete_left_greater_occipital_neurectomy_passes_the_checks()
    {
        var after = await PostAsync(FillLeftGreaterOccipitalNeurectomy(await OpenAsync()));
        Assert.Contains("All checks passed", after.Html);
        Assert.DoesNotContain("class=\"msg error\"", after.Html);
    }

    [Fact]
    public async Task Operating_on_the_right_of_a_left_sided_chart_shows_the_laterality_error_at_that_nerve()
    {
        var form = FillLeftGreaterOccipitalNeurectomy(await OpenAsync());
        form.Set("gon-left-treated").Set("gon-right-treated", "true")
            .Set("gon-right-findings", form.FirstOption("gon-right-findings")).Set("gon-right-segment-length", "10")
            .Set("gon-right-stump", form.FirstOption("gon-right-stump")).Set("gon-right-specimen-sent", "false");
        var html = (await PostAsync(form)).Html;
        Assert.Contains(Html.Parse(html).QuerySelectorAll("#m-gon-right-laterality-reason > p.msg.error"), m => m.TextContent.Contains("no active diagnosis on the right side", StringComparison.Ordinal));
        Assert.Contains("Right greater occipital nerve: no diagnosis on the right side in the chart.", html);
    }

    [Fact]
    public async Task Same_as_the_other_side_copies_the_technique_and_details()
    {
        var form = FillLeftGreaterOccipitalNeurectomy(await OpenAsync());
        form.Set("gon-right-treated", "true");
        var html = (await PostAsync(form, "copy:treat-gon-right"));
        Assert.Equal(["15"], html.Values("gon-right-segment-length"));
        Assert.Equal(html.Values("gon-left-stump"), html.Values("gon-right-stump"));
        Assert.Equal(["true"], html.Values("gon-right-treated"));
    }

    [Fact]
    public async Task A_post_without_the_page_token_is_refused_with_a_plain_page()
    {
        var form = await OpenAsync();
        form.Set("csrf", "forged");
        using var response = await f.Browser.PostAsync(f.Url(form.Action), form.Content());
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("What to do", await response.Content.ReadAsStringAsync());
        using var unknown = await f.Browser.GetAsync(f.Url($"/s/{f.LaunchId}/note?template=nope"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task The_note_page_links_the_launch_style_and_serves_it_from_the_ehr_style()
    {
        var html = await f.Browser.GetStringAsync(f.Url($"/s/{f.LaunchId}/note"));
        Assert.Contains($"/s/{f.LaunchId}/smart-style.css", html);
        Assert.Matches("/ehr-style[.a-z0-9]*css", html);
        var css = await f.Browser.GetStringAsync(f.Url($"/s/{f.LaunchId}/smart-style.css"));
        Assert.StartsWith(":root{--ehr-background:#f6f7f9", css, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_coagulation_template_opens_the_radiofrequency_details_when_radiofrequency_is_chosen()
    {
        var form = await OpenAsync("occipital-coagulation");
        Assert.True(Html.Hidden(form.Html, "w-gon-left-rf-temperature") == true, "w-gon-left-rf-temperature is hidden");
        form.Set("gon-left-treated", "true").Set("gon-left-energy-method", form.Options("gon-left-energy-method").First(o => o.Contains("adiofrequency", StringComparison.Ordinal)));
        var html = (await PostAsync(form)).Html;
        Assert.True(Html.Hidden(html, "w-gon-left-rf-temperature") == false, "w-gon-left-rf-temperature is shown");
        Assert.True(Html.Hidden(html, "w-gon-left-segment-length") == true, "w-gon-left-segment-length is hidden");
        Assert.Contains("Left greater occipital nerve: radiofrequency temperature is missing.", html);
        Assert.Contains(Html.Parse(html).QuerySelectorAll("span.unit"), u => u.TextContent == "°C");
    }
}
