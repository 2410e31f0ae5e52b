using Hl7.Fhir.Model;
using Q = Hl7.Fhir.Model.Questionnaire;

namespace Rhizotomy.Core.Templates;

/// <summary>
/// The one <c>enableWhen</c> semantics of the product (R4 QuestionnaireItemOperator definitions): the checks, the
/// form's response builder and the page all ask this. <c>exists</c> compares whether an answer exists with the
/// boolean; <c>=</c> is true when at least one answer equals; <c>!=</c> is true when no answer equals (so also
/// when there is no answer); <c>&gt; &lt; &gt;= &lt;=</c> are true when at least one answer compares so (never
/// without an answer). <c>enableBehavior</c> <c>any</c> needs one condition, <c>all</c> (the default) every one.
/// </summary>
public static class EnableWhen
{
    /// <summary>Whether <paramref name="item"/> is enabled, given the answers to each question it names.</summary>
    public static bool Enabled(Q.ItemComponent item, Func<string, IReadOnlyList<DataType>> answersOf)
    {
        if (item.EnableWhen.Count == 0)
        {
            return true;
        }
        var results = item.EnableWhen.Select(w => Holds(w, answersOf(w.Question ?? string.Empty)));
        return item.EnableBehavior == Q.EnableWhenBehavior.Any ? results.Any(r => r) : results.All(r => r);
    }

    /// <summary>One condition against the answers of its question.</summary>
    public static bool Holds(Q.EnableWhenComponent when, IReadOnlyList<DataType> answers)
    {
        switch (when.Operator)
        {
            case Q.QuestionnaireItemOperator.Exists:
                return (when.Answer is FhirBoolean { Value: true }) == (answers.Count > 0);
            case Q.QuestionnaireItemOperator.Equal:
                return answers.Any(a => Same(a, when.Answer));
            case Q.QuestionnaireItemOperator.NotEqual:
                return !answers.Any(a => Same(a, when.Answer));
            default:
                return answers.Select(a => Compare(a, when.Answer)).OfType<int>().Any(r => when.Operator switch
                {
                    Q.QuestionnaireItemOperator.GreaterThan => r > 0,
                    Q.QuestionnaireItemOperator.LessThan => r < 0,
                    Q.QuestionnaireItemOperator.GreaterOrEqual => r >= 0,
                    Q.QuestionnaireItemOperator.LessOrEqual => r <= 0,
                    _ => false,
                });
        }
    }

    private static bool Same(DataType answer, DataType? expected) => (answer, expected) switch
    {
        (Coding a, Coding e) => a.System == e.System && a.Code == e.Code,
        (FhirBoolean a, FhirBoolean e) => a.Value == e.Value,
        (PrimitiveType a, PrimitiveType e) => Compare(a, e) is { } r ? r == 0 : a.ToString() == e.ToString(),
        _ => false,
    };

    /// <summary>Order of two numbers, or two dates/times/strings of the same kind; null when they do not compare.</summary>
    private static int? Compare(DataType answer, DataType? expected) => (answer, expected) switch
    {
        (FhirDecimal or Integer, FhirDecimal or Integer) => Number(answer)!.Value.CompareTo(Number(expected)!.Value),
        (Date a, Date e) => string.CompareOrdinal(a.Value, e.Value),
        (FhirDateTime a, FhirDateTime e) when a.TryToDateTimeOffset(out var x) && e.TryToDateTimeOffset(out var y) => x.CompareTo(y),
        (Time a, Time e) => string.CompareOrdinal(a.Value, e.Value),
        (FhirString a, FhirString e) => string.CompareOrdinal(a.Value, e.Value),
        _ => null,
    };

    private static decimal? Number(DataType? value) => value switch
    {
        FhirDecimal { Value: { } d } => d,
        Integer { Value: { } i } => i,
        _ => null,
    };
}
