using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Q = Hl7.Fhir.Model.Questionnaire;

namespace Rhizotomy.Core.Templates;

/// <summary>
/// How an item's <c>questionnaire-unit</c> (a UCUM code) is shown to a reader: the form beside the field, the
/// note after the number, a range message. One mapping for all three, so they cannot drift apart.
/// </summary>
public static class TemplateUnits
{
    /// <summary>The unit as a reader sees it ("°C" for <c>Cel</c>); null when the item has none or it is an annotation such as <c>{lesions}</c>.</summary>
    public static string? Symbol(Q.ItemComponent item) =>
        item.GetExtensionValue<Coding>(Known.Extensions.QuestionnaireUnit)?.Code switch
        {
            null or "" => null,
            ['{', .., '}'] => null,
            "Cel" => "°C",
            var code => code,
        };

    /// <summary>What follows a number of this item in prose: " mm", " °C", "%" (no space), or nothing.</summary>
    public static string After(Q.ItemComponent item) => Symbol(item) switch
    {
        null => string.Empty,
        "%" => "%",
        var symbol => " " + symbol,
    };
}
