using System.Globalization;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;
using Q = Hl7.Fhir.Model.Questionnaire;

namespace Rhizotomy.App.Form;

/// <summary>One answer offered by a coded item: the form value and what the surgeon reads.</summary>
public sealed record FormOption(string Value, string Label);

/// <summary>The answer lists (from <c>answerOption</c>, or <see cref="TemplateAnswers"/> for our ValueSets) and the units of items.</summary>
public static class FormOptions
{
    public static IReadOnlyList<FormOption> For(Q.ItemComponent item)
    {
        if (item.AnswerOption.Count > 0)
        {
            return [.. item.AnswerOption.Select(o => o.Value switch
            {
                Coding c => new FormOption(FormState.CodingValue(c), c.Display ?? c.Code ?? ""),
                DataType v => new FormOption(FormState.Encode(v, "Z") ?? "", FormState.Encode(v, "Z") ?? ""),
                _ => null,
            }).OfType<FormOption>().Where(o => o.Value.Length > 0)];
        }
        var codings = TemplateAnswers.For(item.AnswerValueSet);
        if (codings is null)
            return [];
        return [.. codings.Select(c => new FormOption(FormState.CodingValue(c),
            c.System == Known.Systems.Icd10Cm ? $"{c.Display} ({c.Code})" : c.Display ?? c.Code ?? ""))];
    }

    /// <summary>True when the item's answers are codings (so a form value <c>system|code|display</c> is a Coding).</summary>
    public static bool IsCoded(Q.ItemComponent item) =>
        !string.IsNullOrEmpty(item.AnswerValueSet) || item.AnswerOption.Any(o => o.Value is Coding);

    public static string? Unit(Q.ItemComponent item) => TemplateUnits.Symbol(item);

    public static (string? Min, string? Max) Range(Q.ItemComponent item) =>
        (Number(item.GetExtensionValue<DataType>(Known.Extensions.MinValue)), Number(item.GetExtensionValue<DataType>(Known.Extensions.MaxValue)));

    private static string? Number(DataType? value) => value switch
    {
        FhirDecimal d => d.Value?.ToString(CultureInfo.InvariantCulture),
        Integer i => i.Value?.ToString(CultureInfo.InvariantCulture),
        _ => null,
    };
}
