using Hl7.Fhir.Model;
using Q = Hl7.Fhir.Model.Questionnaire;
using R = Hl7.Fhir.Model.QuestionnaireResponse;

namespace Rhizotomy.Core.Templates;

/// <summary>
/// "My usual": which answers of a surgeon's previous signed note of a template may fill a new note. The template says
/// it, item by item, with the <c>carry-over</c> extension (<see cref="Sdc.CarryOver"/>): technique, closure and plan
/// habits. Everything else (side, time-out, consent, complications, blood loss, times, findings, the chart's
/// answers, repeating groups about this patient) is never carried. A nerve-side item carries the answer of the same
/// nerve from the previous note: the same side when it was treated there, else the other side (the habit is the
/// nerve's technique, not its side); the "treated" question itself is never carried.
/// </summary>
public static class UsualAnswers
{
    /// <summary>Whether the template lets "My usual" carry this item over.</summary>
    public static bool IsCarried(Q.ItemComponent item) => item.GetExtensionValue<FhirBoolean>(Sdc.CarryOver)?.Value == true;

    /// <summary>
    /// For each carried item of <paramref name="template"/> that <paramref name="previous"/> answered: the item to fill
    /// (<c>Target</c>) and the answers it takes (from the item <c>Source</c> of the previous note).
    /// </summary>
    public static IReadOnlyList<(string Target, string Source, IReadOnlyList<R.AnswerComponent> Answers)> From(Q template, R previous)
    {
        var answers = new Dictionary<string, IReadOnlyList<R.AnswerComponent>>(StringComparer.Ordinal);
        Collect(previous.Item, answers);
        var byItem = new Dictionary<string, NerveSide>(StringComparer.Ordinal);
        foreach (var nerveSide in NerveSides.Of(template))
        {
            var group = TemplateCatalog.Flatten(template.Item).First(i => i.LinkId == nerveSide.Group);
            foreach (var child in TemplateCatalog.Flatten(group.Item).Where(c => c.LinkId is not null))
                byItem[child.LinkId!] = nerveSide;
        }
        bool Treated(NerveSide n) => answers.TryGetValue(n.Treated, out var a) && a.Any(x => x.Value is FhirBoolean { Value: true });

        var result = new List<(string, string, IReadOnlyList<R.AnswerComponent>)>();
        foreach (var item in Carried(template.Item))
        {
            var target = item.LinkId!;
            var source = target;
            if (byItem.TryGetValue(target, out var nerveSide))
            {
                if (target == nerveSide.Treated)
                    continue;
                var other = NerveSides.OtherSide(template, nerveSide);
                if (!Treated(nerveSide) && other is not null && Treated(other))
                    source = other.Prefix + target[nerveSide.Prefix.Length..];
                else if (!Treated(nerveSide))
                    continue;
            }
            if (answers.TryGetValue(source, out var given) && given.Count > 0)
                result.Add((target, source, given));
        }
        return result;
    }

    // Carried items outside repeating groups (a repeating group holds facts of this patient: blocks, team, diagnoses).
    private static IEnumerable<Q.ItemComponent> Carried(IEnumerable<Q.ItemComponent> items)
    {
        foreach (var item in items.Where(i => i.LinkId is not null))
        {
            if (item.Type == Q.QuestionnaireItemType.Group)
            {
                if (item.Repeats != true)
                {
                    foreach (var inner in Carried(item.Item))
                        yield return inner;
                }
                continue;
            }
            if (IsCarried(item))
                yield return item;
        }
    }

    private static void Collect(IEnumerable<R.ItemComponent> items, Dictionary<string, IReadOnlyList<R.AnswerComponent>> answers)
    {
        foreach (var item in items.Where(i => i.LinkId is not null))
        {
            if (item.Answer.Count > 0)
                answers.TryAdd(item.LinkId!, item.Answer);
            Collect(item.Item, answers);
            foreach (var answer in item.Answer)
                Collect(answer.Item, answers);
        }
    }
}
