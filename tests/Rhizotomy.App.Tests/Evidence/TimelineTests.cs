using Rhizotomy.App.Components.Case;
using Rhizotomy.App.Evidence;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.App.Tests.Evidence;

public class TimelineTests
{
    [Theory]
    [InlineData("2024-03-05T10:00:00Z", "2024-03-05")]
    [InlineData("2024-03", "2024-03-01")]
    [InlineData("2019", "2019-01-01")]
    [InlineData("2023-08-01 to 2023-10-01", "2023-08-01")]
    [InlineData("sometime in 2019", null)]
    [InlineData("until 2020-01", null)]
    [InlineData("", null)]
    public void Chart_dates_full_or_partial_are_placed_and_free_text_is_not(string value, string? expected) =>
        Assert.Equal(expected, EvidencePage.ParseDate(value)?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task The_timeline_orders_events_and_encodes_their_labels()
    {
        var evidence = new CaseEvidence(
            [new EvidenceDiagnosis(new Ref("Condition/1"), new Concept(null, null, "<script>x</script> occipital neuralgia"), true, Side.Left, true, "2021-02")],
            [new PriorBlock("2023-01-10", Nerve.GreaterOccipital, Side.Left, 80, "80%", new Ref("Procedure/2"))],
            [],
            [new Imaging("MRI brain", "2022-06-01", new Ref("DiagnosticReport/3"))],
            []);

        var svg = await ComponentHtml.RenderAsync<Timeline>(new() { [nameof(Timeline.Evidence)] = evidence });

        Assert.StartsWith("<svg", svg);
        Assert.DoesNotContain("<script>", svg);
        Assert.Contains("&lt;script&gt;", svg);
        var onset = svg.IndexOf("2021-02-01", StringComparison.Ordinal);
        var mri = svg.IndexOf("2022-06-01", StringComparison.Ordinal);
        var block = svg.IndexOf("2023-01-10 Block Left (80% relief)", StringComparison.Ordinal);
        Assert.True(onset >= 0 && onset < mri && mri < block, "events are in date order");
    }
}
