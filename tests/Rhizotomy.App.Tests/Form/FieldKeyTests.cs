using Rhizotomy.App.Form;

namespace Rhizotomy.App.Tests.Form;

public class FieldKeyTests
{
    [Theory]
    [InlineData("QuestionnaireResponse.item.where(linkId='nerves').item.where(linkId='treat-gon-left').item.where(linkId='gon-left-segment-length')", "gon-left-segment-length")]
    [InlineData("QuestionnaireResponse.item.where(linkId='indication').item.where(linkId='prior-block')[1].item.where(linkId='prior-block-date')", "prior-block-date.1")]
    [InlineData("QuestionnaireResponse.item.where(linkId='indication').item.where(linkId='prior-block')[0]", "prior-block.0")]
    [InlineData("QuestionnaireResponse.item.where(linkId='indication').item.where(linkId='prior-block')", "prior-block")]
    [InlineData("QuestionnaireResponse.item.where(linkId='it\\'s')", "it's")]
    [InlineData("QuestionnaireResponse.questionnaire", null)]
    [InlineData(null, null)]
    public void A_check_message_lands_on_the_field_its_expression_names(string? expression, string? key) =>
        Assert.Equal(key, NotePage.KeyOf(expression));
}
