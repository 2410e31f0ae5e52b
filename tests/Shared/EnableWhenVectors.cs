using Hl7.Fhir.Model;
using Q = Hl7.Fhir.Model.Questionnaire;

namespace Rhizotomy.Tests.Shared;

/// <summary>
/// The shared enableWhen test vectors: every operator, enableBehavior any/all, and "no answer". The checks (Core) and the
/// form (App) are both held to them, so the product has one enableWhen semantics.
/// </summary>
public static class EnableWhenVectors
{
    public sealed record Vector(string Name, Q.EnableWhenBehavior? Behavior, (string Question, Q.QuestionnaireItemOperator Op, DataType Answer)[] Conditions,
        (string Question, DataType[] Answers)[] Given, bool Enabled)
    {
        public override string ToString() => Name;
    }

    private static readonly Coding Yes = new("http://example.org/cs", "yes", "Yes");
    private static readonly Coding No = new("http://example.org/cs", "no", "No");

    /// <summary>A template with one question of each type the vectors use, and the item <c>t</c> they enable.</summary>
    public static Questionnaire Template(Vector v)
    {
        var q = new Questionnaire { Url = "http://example.org/Questionnaire/enable-when", Status = PublicationStatus.Active };
        q.Item.Add(new Q.ItemComponent { LinkId = "b", Type = Q.QuestionnaireItemType.Boolean });
        q.Item.Add(new Q.ItemComponent { LinkId = "n", Type = Q.QuestionnaireItemType.Decimal });
        q.Item.Add(new Q.ItemComponent { LinkId = "i", Type = Q.QuestionnaireItemType.Integer });
        var c = new Q.ItemComponent { LinkId = "c", Type = Q.QuestionnaireItemType.Choice, Repeats = true };
        c.AnswerOption.Add(new Q.AnswerOptionComponent { Value = Yes });
        c.AnswerOption.Add(new Q.AnswerOptionComponent { Value = No });
        q.Item.Add(c);
        q.Item.Add(new Q.ItemComponent { LinkId = "s", Type = Q.QuestionnaireItemType.String });
        q.Item.Add(new Q.ItemComponent { LinkId = "d", Type = Q.QuestionnaireItemType.Date });
        var t = new Q.ItemComponent { LinkId = "t", Type = Q.QuestionnaireItemType.String, EnableBehavior = v.Behavior };
        t.EnableWhen.AddRange(v.Conditions.Select(w => new Q.EnableWhenComponent { Question = w.Question, Operator = w.Op, Answer = w.Answer }));
        q.Item.Add(t);
        return q;
    }

    /// <summary>A response holding the vector's answers.</summary>
    public static QuestionnaireResponse Response(Questionnaire q, Vector v)
    {
        var qr = new QuestionnaireResponse { Questionnaire = q.Url, Status = QuestionnaireResponse.QuestionnaireResponseStatus.InProgress };
        foreach (var (question, answers) in v.Given)
        {
            var item = new QuestionnaireResponse.ItemComponent { LinkId = question };
            item.Answer.AddRange(answers.Select(a => new QuestionnaireResponse.AnswerComponent { Value = a }));
            qr.Item.Add(item);
        }
        return qr;
    }

    private static Vector One(string name, string question, Q.QuestionnaireItemOperator op, DataType answer, DataType[]? given, bool enabled) =>
        new(name, null, [(question, op, answer)], given is null ? [] : [(question, given)], enabled);

    public static IEnumerable<object[]> All() => Vectors().Select(v => new object[] { v });

    private static IEnumerable<Vector> Vectors()
    {
        const Q.QuestionnaireItemOperator Eq = Q.QuestionnaireItemOperator.Equal, Ne = Q.QuestionnaireItemOperator.NotEqual,
            Gt = Q.QuestionnaireItemOperator.GreaterThan, Lt = Q.QuestionnaireItemOperator.LessThan,
            Ge = Q.QuestionnaireItemOperator.GreaterOrEqual, Le = Q.QuestionnaireItemOperator.LessOrEqual, Ex = Q.QuestionnaireItemOperator.Exists;
        yield return One("exists true, answered", "s", Ex, new FhirBoolean(true), [new FhirString("x")], true);
        yield return One("exists true, no answer", "s", Ex, new FhirBoolean(true), null, false);
        yield return One("exists false, no answer", "s", Ex, new FhirBoolean(false), null, true);
        yield return One("exists false, answered", "s", Ex, new FhirBoolean(false), [new FhirString("x")], false);
        yield return One("= boolean, same", "b", Eq, new FhirBoolean(true), [new FhirBoolean(true)], true);
        yield return One("= boolean, other", "b", Eq, new FhirBoolean(true), [new FhirBoolean(false)], false);
        yield return One("= boolean, no answer", "b", Eq, new FhirBoolean(true), null, false);
        yield return One("= coding, one of several answers", "c", Eq, No, [Yes, No], true);
        yield return One("= coding, not among the answers", "c", Eq, No, [Yes], false);
        yield return One("= string", "s", Eq, new FhirString("abc"), [new FhirString("abc")], true);
        yield return One("= decimal against integer-valued decimal", "n", Eq, new FhirDecimal(2m), [new FhirDecimal(2.0m)], true);
        yield return One("!= coding, other answer", "c", Ne, No, [Yes], true);
        yield return One("!= coding, same answer", "c", Ne, No, [No], false);
        yield return One("!= coding, one of several answers is equal", "c", Ne, No, [Yes, No], false);
        yield return One("!= with no answer is true (no answer equals)", "c", Ne, No, null, true);
        yield return One("!= boolean with no answer is true", "b", Ne, new FhirBoolean(true), null, true);
        yield return One("> decimal, above", "n", Gt, new FhirDecimal(5m), [new FhirDecimal(6m)], true);
        yield return One("> decimal, equal", "n", Gt, new FhirDecimal(5m), [new FhirDecimal(5m)], false);
        yield return One("> decimal, no answer", "n", Gt, new FhirDecimal(5m), null, false);
        yield return One("< integer, below", "i", Lt, new Integer(3), [new Integer(2)], true);
        yield return One("< integer, above", "i", Lt, new Integer(3), [new Integer(4)], false);
        yield return One(">= integer, equal", "i", Ge, new Integer(3), [new Integer(3)], true);
        yield return One(">= integer, below", "i", Ge, new Integer(3), [new Integer(2)], false);
        yield return One("<= decimal, equal", "n", Le, new FhirDecimal(1.5m), [new FhirDecimal(1.5m)], true);
        yield return One("<= decimal, no answer", "n", Le, new FhirDecimal(1.5m), null, false);
        yield return One("> date, later", "d", Gt, new Date("2026-01-01"), [new Date("2026-02-01")], true);
        yield return One("< date, later", "d", Lt, new Date("2026-01-01"), [new Date("2026-02-01")], false);
        (string, Q.QuestionnaireItemOperator, DataType)[] two = [("b", Eq, new FhirBoolean(true)), ("i", Gt, new Integer(1))];
        yield return new("all (default), both hold", null, two, [("b", [new FhirBoolean(true)]), ("i", [new Integer(2)])], true);
        yield return new("all (default), one holds", null, two, [("b", [new FhirBoolean(true)]), ("i", [new Integer(0)])], false);
        yield return new("all, one holds", Q.EnableWhenBehavior.All, two, [("b", [new FhirBoolean(true)])], false);
        yield return new("any, one holds", Q.EnableWhenBehavior.Any, two, [("b", [new FhirBoolean(true)])], true);
        yield return new("any, none holds", Q.EnableWhenBehavior.Any, two, [("b", [new FhirBoolean(false)]), ("i", [new Integer(0)])], false);
        yield return new("any, no answers at all", Q.EnableWhenBehavior.Any, two, [], false);
    }
}
