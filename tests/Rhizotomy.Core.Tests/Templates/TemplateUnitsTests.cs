using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;

namespace Rhizotomy.Core.Tests.Templates;

public class TemplateUnitsTests
{
    private static Questionnaire.ItemComponent Item(string? ucum)
    {
        var item = new Questionnaire.ItemComponent { LinkId = "x", Type = Questionnaire.QuestionnaireItemType.Decimal };
        if (ucum is not null)
            item.SetExtension(Known.Extensions.QuestionnaireUnit, new Coding("http://unitsofmeasure.org", ucum));
        return item;
    }

    [Theory]
    [InlineData("Cel", "°C", " °C")]
    [InlineData("mm", "mm", " mm")]
    [InlineData("%", "%", "%")]
    [InlineData(null, null, "")]
    [InlineData("{lesions}", null, "")]
    // A site's annotation unit is a count, not a unit a reader should see in braces.
    [InlineData("{count}", null, "")]
    public void A_unit_reads_the_same_on_the_form_in_the_note_and_in_a_range_message(string? ucum, string? symbol, string after)
    {
        Assert.Equal(symbol, TemplateUnits.Symbol(Item(ucum)));
        Assert.Equal(after, TemplateUnits.After(Item(ucum)));
    }
}
