using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Templates;

/// <summary>
/// The chart's <see cref="CaseEvidence"/> as a FHIR <c>Parameters</c> resource, the <c>%evidence</c> variable of
/// template expressions. One parameter per item (<c>diagnosis</c>, <c>block</c>, <c>therapy</c>, <c>imaging</c>),
/// its facts as parts, and always a <c>source</c> part (valueReference) naming the chart resource, which prefill
/// copies into the <c>prefill-source</c> extension.
/// </summary>
/// <remarks>
/// Parts: diagnosis: code (Coding, or string when matched on text only), side (SNOMED Coding), active (boolean),
/// prefill (boolean: the evidence allows prefilling it, i.e. a confirmed active diagnosis),
/// textOnly (boolean), onset (string). block: date (date), nerve (project Coding), side (SNOMED Coding),
/// reliefPercent (integer), reliefText (string). therapy: kind, text, period (string), failed (boolean).
/// imaging: text (string), date (date).
/// </remarks>
public static class EvidenceParameters
{
    public const string SourcePart = "source";

    public static Parameters From(CaseEvidence? evidence)
    {
        var parameters = new Parameters();
        if (evidence is null)
        {
            return parameters;
        }
        foreach (var d in (evidence.Diagnoses ?? []).Where(d => d is not null))
        {
            var concept = d.Concept;
            DataType code = !d.TextOnly && concept.System is not null && concept.Code is not null
                ? new Coding(concept.System, concept.Code, concept.Text)
                : new FhirString(concept.Text);
            Add(parameters, "diagnosis", d.Source,
                ("code", code),
                ("side", d.Side is { } side ? TemplateAnswers.Laterality(side) : null),
                ("active", new FhirBoolean(d.Active)),
                ("prefill", new FhirBoolean(d.Prefillable)),
                ("textOnly", new FhirBoolean(d.TextOnly)),
                ("onset", Text(d.Onset)));
        }
        foreach (var b in (evidence.Blocks ?? []).Where(b => b is not null))
        {
            Add(parameters, "block", b.Source,
                ("date", AsDate(b.Date) is { } date ? new Date(date) : null),
                ("nerve", b.Nerve is { } nerve ? TemplateAnswers.Nerve(nerve) : null),
                ("side", b.Side is { } side ? TemplateAnswers.Laterality(side) : null),
                ("reliefPercent", b.ReliefPercent is { } relief ? new Integer(relief) : null),
                ("reliefText", Text(b.ReliefText)));
        }
        foreach (var t in (evidence.Therapies ?? []).Where(t => t is not null))
        {
            Add(parameters, "therapy", t.Source,
                ("kind", Text(t.Kind)),
                ("text", Text(t.Text)),
                ("period", Text(t.Period)),
                ("failed", t.Failed is { } failed ? new FhirBoolean(failed) : null));
        }
        foreach (var i in (evidence.Imaging ?? []).Where(i => i is not null))
        {
            Add(parameters, "imaging", i.Source,
                ("text", Text(i.Text)),
                ("date", AsDate(i.Date) is { } date ? new Date(date) : null));
        }
        return parameters;
    }

    private static void Add(Parameters parameters, string name, Ref? source, params (string Name, DataType? Value)[] parts)
    {
        var parameter = new Parameters.ParameterComponent { Name = name };
        foreach (var (partName, value) in parts)
        {
            if (value is not null)
            {
                parameter.Part.Add(new Parameters.ParameterComponent { Name = partName, Value = value });
            }
        }
        if (source is not null && !string.IsNullOrWhiteSpace(source.Reference))
        {
            parameter.Part.Add(new Parameters.ParameterComponent { Name = SourcePart, Value = new ResourceReference(source.Reference) { Display = source.Display } });
        }
        parameters.Parameter.Add(parameter);
    }

    private static FhirString? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : new FhirString(value);

    /// <summary>The date part of a FHIR date or dateTime (a block "2026-03-14T09:30:00Z" was on 2026-03-14).</summary>
    private static string? AsDate(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        var date = value.Length > 10 && value[10] == 'T' ? value[..10] : value;
        return Date.IsValidValue(date) ? date : null;
    }
}
