using System.Net;

namespace Rhizotomy.App.Tests.Form;

/// <summary>Site phrase lists for the free-text items (template data): pick one to fill the text box, then edit it.</summary>
public class PhraseListTests(FormWorld f) : IClassFixture<FormWorld>
{
    private async Task<HtmlForm> OpenAsync()
    {
        using var page = await f.Browser.GetAsync(f.Url($"/s/{f.LaunchId}/note?template=occipital-neurectomy&fresh=1"));
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, html);
        return new HtmlForm(html);
    }

    [Fact]
    public async Task The_note_page_offers_the_templates_phrases_beside_a_free_text_item()
    {
        var form = await OpenAsync();
        var list = form.Page.QuerySelector("select#f-plan-pain-phrase[name='plan-pain~phrase'][data-phrase-for=f-plan-pain]");
        Assert.NotNull(list);
        Assert.Contains("Paracetamol as needed", list.QuerySelectorAll("option").Select(o => o.GetAttribute("value")));
        Assert.Equal("Site phrase, pick then edit", form.Page.QuerySelector("label[for=f-plan-pain-phrase]")?.TextContent);
        // Coded items and items without phrases get none.
        Assert.Null(form.Page.QuerySelector("#f-estimated-blood-loss-phrase"));
        Assert.Null(form.Page.QuerySelector("#f-additional-notes-phrase"));
    }

    [Fact]
    public async Task A_phrase_picked_without_script_fills_an_empty_box_and_never_replaces_what_was_typed()
    {
        var form = await OpenAsync();
        form.Set("plan-pain~phrase", "Paracetamol as needed")
            .Set("plan-wound", "Typed by the surgeon").Set("plan-wound~phrase", "Keep the puncture sites clean and dry for 24 hours");
        using var response = await f.Browser.PostAsync(f.Url(form.Action), form.Content("check"));
        var after = new HtmlForm(await response.Content.ReadAsStringAsync());
        Assert.Equal(["Paracetamol as needed"], after.Values("plan-pain"));
        Assert.Equal(["Typed by the surgeon"], after.Values("plan-wound"));
        Assert.Empty(after.Values("plan-pain~phrase"));
    }
}
