using System.Text.Json;
using Rhizotomy.App.Form;

namespace Rhizotomy.App.Tests.Form;

public class SmartStyleTests
{
    /// <summary>Every value the launch's stylesheet can set is read by a rule of wwwroot/ehr-style.css, with the app's own value as fallback.</summary>
    [Fact]
    public void Every_custom_property_is_used_by_the_ehr_stylesheet_with_a_fallback()
    {
        using var style = JsonDocument.Parse("""
            {"color_background":"#f6f7f9","color_text":"#111827","color_highlight":"#0b5394","color_error":"#b42318","color_success":"#1e7b45",
             "font_family_body":"Arial","font_family_heading":"Georgia","dim_font_size":"16px"}
            """);
        var properties = SmartStyle.Values(style.RootElement).Select(v => v.Property).ToList();
        Assert.Equal(8, properties.Count);
        var stylesheet = File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "src", "Rhizotomy.App", "wwwroot", "ehr-style.css"));
        Assert.All(properties, p => Assert.Contains("var(" + p + ",", stylesheet, StringComparison.Ordinal));
    }

    [Fact]
    public void The_ehr_style_becomes_custom_property_values_and_values_that_could_inject_css_are_dropped()
    {
        using var style = JsonDocument.Parse("""
            {"color_background":"#f6f7f9","color_highlight":"red;}body{display:none","font_family_body":"system-ui, sans-serif",
             "dim_font_size":"16px","color_error":"url(javascript:alert(1))","color_text":42}
            """);
        var css = SmartStyle.Css(style.RootElement);
        Assert.Equal(":root{--ehr-background:#f6f7f9;--ehr-font-body:system-ui, sans-serif;--ehr-font-size:16px}\n", css);
        Assert.DoesNotContain("display:none", css);
        Assert.DoesNotContain("javascript", css);
        Assert.DoesNotContain("--ehr-highlight", css);
    }
}

/// <summary>Issue 14 point 6: the EHR's colours only where they keep WCAG 2.2 AA contrast (computed), else the app's own.</summary>
public class SmartStyleContrastTests
{
    [Theory]
    [InlineData("#000", "#fff", 21.0)]
    [InlineData("#fff", "#fff", 1.0)]
    [InlineData("#1a56db", "#fff", 6.18)]
    [InlineData("#777", "#fff", 4.48)]
    [InlineData("rgba(0,0,0,0.5)", "#fff", 3.98)]
    public void Contrast_is_the_wcag_ratio(string foreground, string background, double expected) =>
        Assert.Equal(expected, SmartStyle.Contrast(foreground, background)!.Value, 2);

    [Fact]
    public void The_two_field_failures_fall_back_to_the_apps_colours_and_good_colours_are_kept()
    {
        // Seen in the field: light grey text on white, and a pale highlight under white button text.
        using var bad = JsonDocument.Parse("""{"color_background":"#ffffff","color_text":"#999999","color_highlight":"#9ec5fe","color_error":"#ffd6d6"}""");
        var css = SmartStyle.Css(bad.RootElement);
        Assert.DoesNotContain("#999999", css, StringComparison.Ordinal);
        Assert.DoesNotContain("#9ec5fe", css, StringComparison.Ordinal);
        Assert.DoesNotContain("#ffd6d6", css, StringComparison.Ordinal);
        Assert.Equal(":root{--ehr-background:#ffffff}\n", css);

        using var good = JsonDocument.Parse("""{"color_background":"#f6f7f9","color_text":"#111827","color_highlight":"#0b5394","color_error":"#b42318"}""");
        var kept = SmartStyle.Css(good.RootElement);
        Assert.Equal(":root{--ehr-background:#f6f7f9;--ehr-text:#111827;--ehr-highlight:#0b5394;--ehr-error:#b42318}\n", kept);
    }

    [Fact]
    public void A_dark_background_keeps_its_light_text_and_drops_what_disappears_on_it()
    {
        var (background, text, highlight, _, _) = SmartStyle.Accessible("#111111", "#eeeeee", "#1a56db", null, null);
        Assert.Equal(("#111111", "#eeeeee"), (background, text));
        // The app's blue on near-black is 2.9:1 as text: not kept as the secondary button's text colour.
        Assert.Null(highlight);

        var (bg2, text2, _, _, _) = SmartStyle.Accessible("#111111", null, null, null, null);
        // The app's dark text on a dark background fails: the EHR's background is dropped.
        Assert.Equal((null, null), (bg2, text2));
    }
}
