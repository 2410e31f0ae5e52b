using System.Text.Json;
using Rhizotomy.App.Form;

namespace Rhizotomy.App.Tests.Form;

public class SmartStyleTests
{
    [Fact]
    public void The_ehr_style_becomes_css_and_values_that_could_inject_css_are_dropped()
    {
        using var style = JsonDocument.Parse("""
            {"color_background":"#f6f7f9","color_highlight":"red;}body{display:none","font_family_body":"system-ui, sans-serif",
             "dim_font_size":"16px","color_error":"url(javascript:alert(1))","color_text":42}
            """);
        var css = SmartStyle.Css(style.RootElement);
        Assert.Contains("body{background:#f6f7f9;font-family:system-ui, sans-serif;font-size:16px}", css);
        Assert.DoesNotContain("display:none", css);
        Assert.DoesNotContain("javascript", css);
        Assert.DoesNotContain("button{", css);
    }
}
