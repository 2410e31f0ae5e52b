using System.Net;
using System.Text.Json;

namespace Rhizotomy.App.Tests.Form;

/// <summary>
/// The page shows and hides the items behind an enableWhen from what the server answers (Core's EnableWhen, through
/// the response builder), so the browser has no evaluator of its own; the page comes with the same state rendered.
/// </summary>
public class EnabledItemsTests(FormWorld f) : IClassFixture<FormWorld>
{
    private async Task<HtmlForm> OpenAsync()
    {
        using var page = await f.Browser.GetAsync(f.Url($"/s/{f.LaunchId}/note?template=occipital-neurectomy&fresh=1"));
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, html);
        return new HtmlForm(html);
    }

    private async Task<Dictionary<string, bool>> EnabledAsync(HtmlForm form)
    {
        using var response = await f.Browser.PostAsync(f.Url($"/s/{f.LaunchId}/note/enabled?template=occipital-neurectomy"), form.Content());
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonSerializer.Deserialize<Dictionary<string, bool>>(body)!;
    }

    [Fact]
    public async Task The_server_says_which_items_the_form_enables_as_the_answers_change_and_the_page_is_rendered_the_same()
    {
        var form = await OpenAsync();

        // As rendered: the technique is hidden until the nerve is ticked, and the endpoint agrees.
        Assert.NotNull(form.Page.QuerySelector("#w-gon-left-technique[data-ew='gon-left-technique'][hidden]"));
        Assert.Null(form.Page.QuerySelector("[data-eb]"));
        var before = await EnabledAsync(form);
        Assert.False(before["gon-left-technique"]);

        // Ticked, with the template's default technique (neurectomy): its details are enabled, coagulation's are not.
        form.Set("gon-left-treated", "true").Set("gon-left-technique", form.FirstOption("gon-left-technique"));
        var ticked = await EnabledAsync(form);
        Assert.True(ticked["gon-left-technique"]);
        Assert.True(ticked["gon-left-segment-length"]);
        Assert.False(ticked["gon-left-energy-method"]);
        Assert.False(ticked["gon-right-technique"]);

        // Checked with the nerve ticked, the page is rendered with the same items shown.
        using var posted = await f.Browser.PostAsync(f.Url(form.Action), form.Content());
        var page = new HtmlForm(await posted.Content.ReadAsStringAsync());
        Assert.All(page.Page.QuerySelectorAll("[data-ew]"), el =>
            Assert.Equal(!ticked[el.GetAttribute("data-ew")!], el.HasAttribute("hidden")));
    }

    [Fact]
    public async Task The_enabled_items_are_refused_without_the_pages_antiforgery_token()
    {
        var form = await OpenAsync();
        form.Set("csrf", "forged");

        using var response = await f.Browser.PostAsync(f.Url($"/s/{f.LaunchId}/note/enabled?template=occipital-neurectomy"), form.Content());

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("\"security\"", await response.Content.ReadAsStringAsync());
    }
}
