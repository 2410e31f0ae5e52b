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
/// Prefill by SDC 3.0 expression-based population (<c>$populate</c>): a new <c>in-progress</c> QuestionnaireResponse
/// for any template, computed only from what the template says. The template's <c>launchContext</c> names
/// <c>%patient</c>, <c>%user</c> and <c>%encounter</c>; its <c>variable</c> extensions (FHIRPath, or
/// <c>x-fhir-query</c> answered from the chart in memory by <see cref="ChartQuery"/>) add names; items take
/// <c>initialExpression</c> answers, repeating groups one instance per element of their
/// <c>itemPopulationContext</c>, other items their <c>initial</c> / <c>initialSelected</c> defaults. The chart's
/// case evidence is the variable <c>%evidence</c> (<see cref="EvidenceParameters"/>). Each answer taken from the
/// chart carries the <see cref="Known.Extensions.PrefillSource"/> extension naming the resource it came from.
/// No linkId is known to this code.
/// </summary>
public static class Populator
{
    private const int MaxInstances = 50;

    /// <summary>Builds the draft.</summary>
    /// <param name="chart">Chart resources already read (for <c>x-fhir-query</c> variables and launch context); optional.</param>
    public static QuestionnaireResponse Populate(Questionnaire template, LaunchContext launch, CaseEvidence evidence, IReadOnlyList<Resource>? chart = null) =>
        Run(template, launch, evidence, chart).Response;

    /// <summary>Builds the draft and lists what could not be evaluated (for <c>rhizotomy validate</c>).</summary>
    public static (QuestionnaireResponse Response, IReadOnlyList<string> Problems) Run(Questionnaire template, LaunchContext launch, CaseEvidence evidence, IReadOnlyList<Resource>? chart = null)
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
        var run = new Population(chart ?? [], []);
        var variables = LaunchVariables(launch, run.Chart);
        variables[Sdc.EvidenceVariable] = [EvidenceParameters.From(evidence)];
        variables["questionnaire"] = [template];
        run.AddVariables(template.Extension, variables, null);
        response.Item.AddRange(run.Items(template.Item, variables, null, insideRepeat: false));
        return (response, run.Problems);
    }

    /// <summary><c>%patient</c>, <c>%user</c>, <c>%encounter</c>: the chart's resource when it holds it, else one carrying only the id and name.</summary>
    private static Dictionary<string, IReadOnlyList<Base>> LaunchVariables(LaunchContext launch, IReadOnlyList<Resource> chart)
    {
        Resource Find(Ref r, Func<string, Resource> make)
        {
            var (type, id) = Split(r.Reference);
            return chart.FirstOrDefault(c => c.TypeName == type && c.Id == id) ?? make(id);
        }
        var variables = new Dictionary<string, IReadOnlyList<Base>>(StringComparer.Ordinal)
        {
            ["patient"] = [Find(launch.Patient, id => new Patient { Id = id })],
            ["user"] = [Find(launch.Surgeon, id => Split(launch.Surgeon.Reference).Type == "PractitionerRole" ? new PractitionerRole { Id = id } : new Practitioner { Id = id })],
        };
        if (launch.Encounter is { } encounter)
        {
            variables["encounter"] = [Find(encounter, id => new Encounter { Id = id })];
        }
        return variables;
    }

    private static (string Type, string Id) Split(string reference)
    {
        var parts = reference.Split('/');
        return parts.Length >= 2 ? (parts[^2], parts[^1]) : (string.Empty, reference);
    }

    private sealed class Population(IReadOnlyList<Resource> chart, List<string> problems)
    {
        public IReadOnlyList<Resource> Chart { get; } = chart;
        public List<string> Problems { get; } = problems;

        public void AddVariables(IEnumerable<Extension> extensions, Dictionary<string, IReadOnlyList<Base>> variables, Base? focus)
        {
            foreach (var expression in extensions.Where(e => e.Url == Sdc.Variable).Select(Sdc.ExpressionOf).OfType<Expression>())
            {
                if (string.IsNullOrWhiteSpace(expression.Name) || string.IsNullOrWhiteSpace(expression.Expression_))
                {
                    continue;
                }
                variables[expression.Name] = Evaluate(expression, focus, variables, $"variable '{expression.Name}'");
            }
        }

        public List<R.ItemComponent> Items(IEnumerable<Q.ItemComponent> definitions, IReadOnlyDictionary<string, IReadOnlyList<Base>> outer, ResourceReference? source, bool insideRepeat)
        {
            var result = new List<R.ItemComponent>();
            foreach (var d in definitions)
            {
                var variables = new Dictionary<string, IReadOnlyList<Base>>(outer, StringComparer.Ordinal);
                AddVariables(d.Extension, variables, null);
                if (d.Type == Q.QuestionnaireItemType.Group)
                {
                    result.AddRange(Group(d, variables, source, insideRepeat));
                    continue;
                }
                if (d.Type == Q.QuestionnaireItemType.Display)
                {
                    continue;
                }
                var answers = new List<DataType>();
                var answerSource = source;
                if (Sdc.ExpressionOf(d.GetExtension(Sdc.InitialExpression)) is { } initial)
                {
                    var values = EvaluateWithResources(initial, variables, $"initialExpression of '{d.LinkId}'");
                    answers.AddRange(values.Select(v => Answer(d, v.Value)).OfType<DataType>());
                    // A value read from a chart resource names it; the evidence and the template are not chart resources.
                    answerSource ??= values.Select(v => v.Resource).Where(r => r is not null and not Parameters and not Questionnaire)
                        .Select(r => SourceOf(r!)).FirstOrDefault(r => r is not null);
                }
                else if (d.EnableWhen.Count == 0 && !insideRepeat)
                {
                    // The template's own defaults, for items shown from the start (not those behind an enableWhen).
                    answers.AddRange(d.Initial.Select(i => i.Value)
                        .Concat(d.AnswerOption.Where(o => o.InitialSelected == true).Select(o => o.Value))
                        .OfType<DataType>().Select(v => (DataType)v.DeepCopy()));
                    answerSource = null;
                }
                if (answers.Count == 0)
                {
                    continue;
                }
                var item = new R.ItemComponent { LinkId = d.LinkId };
                item.Answer.AddRange((d.Repeats == true ? answers : answers.Take(1)).Select(v => new R.AnswerComponent { Value = v }));
                AddSource(item, answerSource);
                result.Add(item);
            }
            return result;
        }

        private IEnumerable<R.ItemComponent> Group(Q.ItemComponent d, Dictionary<string, IReadOnlyList<Base>> variables, ResourceReference? source, bool insideRepeat)
        {
            if (Sdc.ExpressionOf(d.GetExtension(Sdc.ItemPopulationContext)) is not { } context)
            {
                var children = Items(d.Item, variables, source, insideRepeat || d.Repeats == true);
                if (children.Count > 0)
                {
                    var group = new R.ItemComponent { LinkId = d.LinkId };
                    group.Item.AddRange(children);
                    yield return group;
                }
                yield break;
            }
            var name = string.IsNullOrWhiteSpace(context.Name) ? "context" : context.Name;
            var elements = Evaluate(context, null, variables, $"itemPopulationContext of '{d.LinkId}'");
            foreach (var element in elements.Take(d.Repeats == true ? MaxInstances : 1))
            {
                var scoped = new Dictionary<string, IReadOnlyList<Base>>(variables, StringComparer.Ordinal) { [name] = [element] };
                var elementSource = SourceOf(element) ?? source;
                var children = Items(d.Item, scoped, elementSource, insideRepeat: true);
                if (children.Count == 0)
                {
                    continue;
                }
                var group = new R.ItemComponent { LinkId = d.LinkId };
                AddSource(group, elementSource);
                group.Item.AddRange(children);
                yield return group;
            }
        }

        private IReadOnlyList<(Base Value, Resource? Resource)> EvaluateWithResources(Expression expression, IReadOnlyDictionary<string, IReadOnlyList<Base>> variables, string what)
        {
            if (expression.Language == Sdc.FhirQueryLanguage)
            {
                return [.. Evaluate(expression, null, variables, what).Select(r => (r, r as Resource))];
            }
            try
            {
                return Sdc.EvaluateWithResources(null, expression.Expression_ ?? string.Empty, variables);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Problems.Add($"{what} could not be evaluated.");
                return [];
            }
        }

        private IReadOnlyList<Base> Evaluate(Expression expression, Base? focus, IReadOnlyDictionary<string, IReadOnlyList<Base>> variables, string what)
        {
            try
            {
                if (expression.Language == Sdc.FhirQueryLanguage)
                {
                    var found = ChartQuery.Run(expression.Expression_ ?? string.Empty, Chart, variables, out var problem);
                    if (problem is not null)
                    {
                        Problems.Add($"{what}: {problem}.");
                    }
                    return found;
                }
                return Sdc.Evaluate(focus, expression.Expression_ ?? string.Empty, variables);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A template expression that fails leaves its item unanswered; the surgeon fills it in.
                Problems.Add($"{what} could not be evaluated.");
                return [];
            }
        }
    }

    /// <summary>The chart resource an element stands for: a resource itself, or an evidence entry's <c>source</c> part.</summary>
    private static ResourceReference? SourceOf(Base element) => element switch
    {
        Resource { Id: { } id } r when !string.IsNullOrEmpty(id) => new ResourceReference($"{r.TypeName}/{id}"),
        Parameters.ParameterComponent p => p.Part.FirstOrDefault(x => x.Name == EvidenceParameters.SourcePart)?.Value as ResourceReference,
        _ => null,
    };

    /// <summary>An expression's value as an answer the item takes; null when it does not fit (wrong type, out of range).</summary>
    private static DataType? Answer(Q.ItemComponent d, Base value)
    {
        // FHIRPath's own values (a literal 'prone', a computed true) come as system types: read them as FHIR ones.
        if (value is PrimitiveType system && system.GetType().Name.StartsWith("FP", StringComparison.Ordinal))
        {
            value = system.JsonValue switch
            {
                string s => new FhirString(s),
                bool b => new FhirBoolean(b),
                int i => new Integer(i),
                long l when l is >= int.MinValue and <= int.MaxValue => new Integer((int)l),
                decimal x => new FhirDecimal(x),
                _ => value,
            };
        }
        DataType? answer = (d.Type, value) switch
        {
            (Q.QuestionnaireItemType.Boolean, FhirBoolean b) => b,
            (Q.QuestionnaireItemType.Integer, Integer i) => i,
            (Q.QuestionnaireItemType.Decimal, FhirDecimal x) => x,
            (Q.QuestionnaireItemType.Decimal, Integer i) => new FhirDecimal(i.Value),
            (Q.QuestionnaireItemType.Date, Date x) => x,
            (Q.QuestionnaireItemType.Date, FhirDateTime x) when x.Value is { Length: >= 10 } v && Date.IsValidValue(v[..10]) => new Date(v[..10]),
            (Q.QuestionnaireItemType.Date, FhirString s) when s.Value is { } v && Date.IsValidValue(v) => new Date(s.Value!),
            (Q.QuestionnaireItemType.DateTime, FhirDateTime x) => x,
            (Q.QuestionnaireItemType.Choice or Q.QuestionnaireItemType.OpenChoice, Coding c) => c,
            (Q.QuestionnaireItemType.Choice or Q.QuestionnaireItemType.OpenChoice, CodeableConcept cc) => cc.Coding.FirstOrDefault(),
            (Q.QuestionnaireItemType.OpenChoice or Q.QuestionnaireItemType.String or Q.QuestionnaireItemType.Text, FhirString s) => s,
            (Q.QuestionnaireItemType.String or Q.QuestionnaireItemType.Text, Markdown m) => new FhirString(m.Value),
            (Q.QuestionnaireItemType.OpenChoice or Q.QuestionnaireItemType.String or Q.QuestionnaireItemType.Text, Code c) => new FhirString(c.Value),
            (Q.QuestionnaireItemType.Reference, ResourceReference r) => r,
            _ => null,
        };
        if (answer is null || answer is FhirString { Value: var text } && string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var number = answer switch { Integer { Value: { } i } => i, FhirDecimal { Value: { } x } => (decimal?)x, _ => null };
        if (number is { } n && (Bound(d, Known.Extensions.MinValue) is { } min && n < min || Bound(d, Known.Extensions.MaxValue) is { } max && n > max))
        {
            return null;
        }
        return (DataType)answer.DeepCopy();
    }

    private static decimal? Bound(Q.ItemComponent d, string url) => d.GetExtension(url)?.Value switch
    {
        FhirDecimal { Value: { } v } => v,
        Integer { Value: { } v } => v,
        _ => null,
    };

    private static void AddSource(Element element, ResourceReference? source)
    {
        if (source is not null && !string.IsNullOrWhiteSpace(source.Reference))
        {
            element.Extension.Add(new Extension(Known.Extensions.PrefillSource, (ResourceReference)source.DeepCopy()));
        }
    }

    internal static ResourceReference ToReference(Ref r) => new(r.Reference) { Display = r.Display };
}
