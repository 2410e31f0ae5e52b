using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;
using Q = Hl7.Fhir.Model.Questionnaire;
using R = Hl7.Fhir.Model.QuestionnaireResponse;

namespace Rhizotomy.Core.Prefill;

/// <summary>Who, where and when, from the SMART launch: what a new note starts from.</summary>
/// <param name="Surgeon">The Practitioner named by the launch's <c>fhirUser</c>.</param>
/// <param name="NoteId">The note's stable business identifier when the app has chosen it (see <see cref="NoteContext.NoteId"/>).</param>
public sealed record LaunchContext(Ref Patient, Ref? Encounter, Ref Surgeon, DateTimeOffset Authored, string? NoteId = null);

/// <summary>
/// Prefill, after the SDC <c>$populate</c> idea: a new <c>in-progress</c> QuestionnaireResponse for a
/// template, answered from the launch context and the chart's <see cref="CaseEvidence"/> and from
/// nothing else (apart from the template's own defaults, such as general anaesthesia). Every answer
/// taken from the chart carries a <see cref="Known.Extensions.PrefillSource"/> extension naming the
/// resource it came from, so the UI can show "from chart" and a reviewer can follow it.
/// </summary>
public static class Populator
{
    /// <summary>Builds the draft. Items the template does not have (a site's reduced template) are left out.</summary>
    public static QuestionnaireResponse Populate(Questionnaire template, LaunchContext launch, CaseEvidence evidence)
    {
        var response = new QuestionnaireResponse
        {
            Questionnaire = template.Version is null ? template.Url : $"{template.Url}|{template.Version}",
            Status = QuestionnaireResponse.QuestionnaireResponseStatus.InProgress,
            Subject = ToReference(launch.Patient),
            Encounter = launch.Encounter is null ? null : ToReference(launch.Encounter),
            Author = ToReference(launch.Surgeon),
            Authored = launch.Authored.ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (!string.IsNullOrWhiteSpace(launch.NoteId))
        {
            // The same identifier every written resource of the note carries, so retries never duplicate it.
            response.Identifier = new Identifier(Known.NoteIdentifierSystem, launch.NoteId);
        }

        var items = new List<R.ItemComponent>();
        var diagnoses = (evidence.Diagnoses ?? []).Where(d => d is not null && d.Prefillable).ToList(); // only confirmed, active diagnoses (issue 17)
        items.AddRange(diagnoses.Select(d => Diagnosis(LinkIds.PreopDiagnosis, LinkIds.PreopDiagnosisCode, LinkIds.PreopDiagnosisSide, d)));

        var indication = new R.ItemComponent { LinkId = LinkIds.Indication };
        indication.Item.AddRange((evidence.Blocks ?? []).Where(b => b is not null).Select(Block));
        indication.Item.AddRange((evidence.Therapies ?? []).Where(t => t is not null).Select(Therapy));
        indication.Item.AddRange((evidence.Imaging ?? []).Where(i => i is not null).Select(Imaging));
        items.Add(indication);

        // Post-operative diagnosis starts as the pre-operative one; the surgeon changes it if the operation showed otherwise.
        items.AddRange(diagnoses.Select(d => Diagnosis(LinkIds.PostopDiagnosis, LinkIds.PostopDiagnosisCode, LinkIds.PostopDiagnosisSide, d)));

        items.AddRange(Defaults(template.Item));
        response.Item.AddRange(Conform(items, template.Item));
        return response;
    }

    private static R.ItemComponent Diagnosis(string groupId, string codeId, string sideId, EvidenceDiagnosis d)
    {
        var concept = d.Concept;
        DataType code = !d.TextOnly && concept.System is not null && concept.Code is not null
            ? new Coding(concept.System, concept.Code, concept.Text)
            : new FhirString(concept.Text);
        return Group(groupId, d.Source,
            Answer(codeId, code, d.Source),
            d.Side is { } side ? Answer(sideId, TemplateAnswers.Laterality(side), d.Source) : null);
    }

    private static R.ItemComponent Block(PriorBlock b) => Group(LinkIds.PriorBlock, b.Source,
        AsDate(b.Date) is { } date ? Answer(LinkIds.PriorBlockDate, new Date(date), b.Source) : null,
        b.Nerve is { } nerve ? Answer(LinkIds.PriorBlockNerve, TemplateAnswers.Nerve(nerve), b.Source) : null,
        b.Side is { } side ? Answer(LinkIds.PriorBlockSide, TemplateAnswers.Laterality(side), b.Source) : null,
        b.ReliefPercent is { } relief and >= 0 and <= 100 ? Answer(LinkIds.PriorBlockReliefPercent, new Integer(relief), b.Source) : null,
        Text(LinkIds.PriorBlockReliefText, b.ReliefText, b.Source));

    private static R.ItemComponent Therapy(TherapyTried t) => Group(LinkIds.Therapy, t.Source,
        Text(LinkIds.TherapyKind, t.Kind, t.Source),
        Text(LinkIds.TherapyText, t.Text, t.Source),
        Text(LinkIds.TherapyPeriod, t.Period, t.Source),
        t.Failed is { } failed ? Answer(LinkIds.TherapyFailed, new FhirBoolean(failed), t.Source) : null);

    private static R.ItemComponent Imaging(Imaging i) => Group(LinkIds.Imaging, i.Source,
        Text(LinkIds.ImagingText, i.Text, i.Source),
        AsDate(i.Date) is { } date ? Answer(LinkIds.ImagingDate, new Date(date), i.Source) : null);

    /// <summary>The template's <c>initial</c> answers for items shown from the start (not those behind an enableWhen).</summary>
    private static IEnumerable<R.ItemComponent> Defaults(IEnumerable<Q.ItemComponent> definitions)
    {
        foreach (var d in definitions.Where(d => d.EnableWhen.Count == 0 && d.Repeats != true))
        {
            if (d.Type == Q.QuestionnaireItemType.Group)
            {
                var children = Defaults(d.Item).ToList();
                if (children.Count > 0)
                {
                    var group = new R.ItemComponent { LinkId = d.LinkId };
                    group.Item.AddRange(children);
                    yield return group;
                }
            }
            else
            {
                var values = d.Initial.Select(i => i.Value)
                    .Concat(d.AnswerOption.Where(o => o.InitialSelected == true).Select(o => o.Value))
                    .OfType<DataType>()
                    .ToList();
                if (values.Count > 0)
                {
                    var item = new R.ItemComponent { LinkId = d.LinkId };
                    item.Answer.AddRange(values.Select(v => new R.AnswerComponent { Value = (DataType)v.DeepCopy() }));
                    yield return item;
                }
            }
        }
    }

    /// <summary>Keeps what the template has, in the template's order, merging groups built separately.</summary>
    private static List<R.ItemComponent> Conform(List<R.ItemComponent> items, List<Q.ItemComponent> definitions)
    {
        var result = new List<R.ItemComponent>();
        foreach (var d in definitions)
        {
            var matching = items.Where(i => i.LinkId == d.LinkId).ToList();
            if (matching.Count == 0)
            {
                continue;
            }
            if (d.Type == Q.QuestionnaireItemType.Group && d.Repeats != true)
            {
                var merged = matching[0];
                var children = Conform([.. matching.SelectMany(m => m.Item)], d.Item);
                merged.Item.Clear();
                merged.Item.AddRange(children);
                if (children.Count > 0)
                {
                    result.Add(merged);
                }
                continue;
            }
            foreach (var item in matching)
            {
                if (d.Type == Q.QuestionnaireItemType.Group)
                {
                    var children = Conform(item.Item, d.Item);
                    item.Item.Clear();
                    item.Item.AddRange(children);
                    if (children.Count == 0)
                    {
                        continue;
                    }
                }
                result.Add(item);
            }
        }
        return result;
    }

    private static R.ItemComponent Group(string linkId, Ref? source, params R.ItemComponent?[] children)
    {
        var group = new R.ItemComponent { LinkId = linkId };
        AddSource(group, source);
        group.Item.AddRange(children.OfType<R.ItemComponent>());
        return group;
    }

    private static R.ItemComponent Answer(string linkId, DataType value, Ref? source)
    {
        var item = new R.ItemComponent { LinkId = linkId };
        item.Answer.Add(new R.AnswerComponent { Value = value });
        AddSource(item, source);
        return item;
    }

    private static R.ItemComponent? Text(string linkId, string? text, Ref? source) =>
        string.IsNullOrWhiteSpace(text) ? null : Answer(linkId, new FhirString(text), source);

    private static void AddSource(Element element, Ref? source)
    {
        if (source is not null && !string.IsNullOrWhiteSpace(source.Reference))
        {
            element.Extension.Add(new Extension(Known.Extensions.PrefillSource, ToReference(source)));
        }
    }

    /// <summary>The date part of a FHIR date or dateTime (a block "2026-03-14T09:30:00Z" was on 2026-03-14).</summary>
    private static string? AsDate(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        var date = value.Length > 10 && value[10] == 'T' ? value[..10] : value;
        return Hl7.Fhir.Model.Date.IsValidValue(date) ? date : null;
    }

    internal static ResourceReference ToReference(Ref r) => new(r.Reference) { Display = r.Display };
}
