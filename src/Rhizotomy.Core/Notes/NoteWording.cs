using System.Globalization;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Notes;

// How structured answers are said in words. One place, so the text, the HTML and the FHIR
// narratives say exactly the same thing.
internal static class NoteWording
{
    private static readonly Dictionary<string, Known.ProjectConcept> ByCode = Known.Concepts.ToDictionary(c => c.Code);

    public static string Side(Side side) => side == Clinical.Side.Left ? "left" : "right";

    public static string NerveCode(Nerve nerve) => nerve.Code;

    public static string Nerve(Nerve nerve) => nerve.Name.ToLowerInvariant();

    public static string TechniqueCode(Clinical.Technique technique) =>
        technique == Clinical.Technique.Neurectomy ? Known.Codes.Neurectomy : Known.Codes.Coagulation;

    public static string LateralityCode(Side side) => side == Clinical.Side.Left ? Known.Snomed.Left : Known.Snomed.Right;

    /// <summary>"Left greater occipital nerve".</summary>
    public static string Target(NerveTreatment t) => Capitalise(Side(t.Side) + " " + Nerve(t.Nerve));

    /// <summary>"Left greater occipital neurectomy": the title of one procedure.</summary>
    public static string ProcedureTitle(NerveTreatment t) => OperationTitle([t]);

    /// <summary>
    /// The operation done, as a coder reads a title: "Left greater occipital neurectomy", "Bilateral greater occipital
    /// nerve radiofrequency ablation"; the same nerve and technique on both sides is said once, as bilateral. Nerve names
    /// are the project concepts' displays.
    /// </summary>
    public static string OperationTitle(IReadOnlyList<NerveTreatment> treatments)
    {
        var parts = treatments
            .GroupBy(t => (t.Nerve, t.Technique, Method: t.Coagulation?.Method))
            .Select(g =>
            {
                var sides = g.Select(t => t.Side).Distinct().ToList();
                var side = sides.Count > 1 ? "bilateral" : Side(sides[0]);
                var (nerve, technique, method) = g.Key;
                return technique == Clinical.Technique.Neurectomy ? $"{side} {Nerve(nerve).Replace(" nerve", "", StringComparison.Ordinal)} neurectomy"
                    : method == EnergyMethod.Radiofrequency ? $"{side} {Nerve(nerve)} radiofrequency ablation"
                    : $"{side} {Nerve(nerve)} coagulation";
            })
            .ToList();
        var title = parts.Count <= 1 ? string.Concat(parts) : string.Join(", ", parts[..^1]) + " and " + parts[^1];
        return Capitalise(title);
    }

    /// <summary>Display of a project code, or the value itself when it is free text.</summary>
    public static string Display(string codeOrText) => ByCode.TryGetValue(codeOrText, out var concept) ? concept.Display : codeOrText;

    public static bool IsProjectCode(string value) => ByCode.ContainsKey(value);

    public static string Number(decimal value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    public static string DateTime(DateTimeOffset value) => value.ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture);

    public static string Capitalise(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    public static string Concept(Concept concept)
    {
        var label = concept.System switch
        {
            Known.Systems.Icd10Cm => "ICD-10-CM",
            Known.Systems.Snomed => "SNOMED CT",
            Known.Systems.Loinc => "LOINC",
            _ => null,
        };
        return concept.Code is null || label is null ? concept.Text : $"{concept.Text} ({label} {concept.Code})";
    }

    public static string Diagnosis(Diagnosis d) => d.Side is { } side ? $"{Concept(d.Concept)}, {Side(side)}" : Concept(d.Concept);

    /// <summary>What was done to one nerve, in one sentence.</summary>
    public static string Technique(NerveTreatment t)
    {
        var parts = new List<string>();
        if (t.Technique == Clinical.Technique.Neurectomy)
        {
            parts.Add("neurectomy");
            if (t.Neurectomy is { } n)
            {
                parts.Add(n.SegmentLengthMm > 0 ? $"a {Number(n.SegmentLengthMm)} mm segment excised" : "transected without excision of a segment");
                parts.Add(Display(n.StumpManagement).ToLowerInvariant());
                parts.Add(n.SpecimenSentToPathology ? "specimen sent to pathology" : "no specimen sent to pathology");
            }
        }
        else
        {
            if (t.Coagulation is { } c)
            {
                var method = c.Method == EnergyMethod.Radiofrequency ? "radiofrequency" : "bipolar electrocautery";
                parts.Add("coagulation by " + method);
                if (c.TemperatureCelsius is { } temperature) parts.Add($"{Number(temperature)} °C");
                if (c.LesionDurationSeconds is { } duration) parts.Add($"{Number(duration)} s per lesion");
                if (c.LesionCount is { } count) parts.Add(count == 1 ? "1 lesion" : $"{count} lesions");
            }
            else
            {
                parts.Add("coagulation");
            }
        }
        var sentence = $"{Target(t)}: {string.Join(", ", parts)}.";
        if (!string.IsNullOrWhiteSpace(t.LateralityReason))
            sentence += $" Reason for treating this side: {t.LateralityReason}.";
        return sentence;
    }

    public static string Findings(NerveTreatment t)
    {
        var findings = t.Findings.Select(f => Display(f).ToLowerInvariant()).ToList();
        var text = findings.Count > 0 ? string.Join(", ", findings) : "no finding recorded";
        if (!string.IsNullOrWhiteSpace(t.FindingsText)) text += ". " + t.FindingsText;
        return $"{Target(t)}: {text}.";
    }

    public static string Block(PriorBlock b)
    {
        var what = string.Join(" ", new[] { b.Side is { } s ? Side(s) : null, b.Nerve is { } n ? Nerve(n) : "occipital nerve", "block" }.Where(p => p is not null));
        var relief = new List<string>();
        // The chart's relief text often says the percentage itself ("80% relief for 3 days"): said once, not twice.
        if (b.ReliefPercent is { } percent && b.ReliefText?.Contains($"{percent}%", StringComparison.Ordinal) != true) relief.Add($"{percent}% relief");
        if (!string.IsNullOrWhiteSpace(b.ReliefText)) relief.Add(b.ReliefText);
        var text = Capitalise(what);
        if (b.Date is not null) text = $"{b.Date}: {text}";
        return relief.Count > 0 ? $"{text}, {string.Join("; ", relief)}" : $"{text}, relief not recorded";
    }

    public static string Therapy(TherapyTried t)
    {
        // The kind is a code ("physical-therapy"): said in words, and not at all when the text already says it.
        var kind = t.Kind.Replace('-', ' ');
        var text = t.Text.StartsWith(kind, StringComparison.OrdinalIgnoreCase) ? Capitalise(t.Text) : $"{Capitalise(kind)}: {t.Text}";
        if (t.Period is not null) text += $" ({t.Period})";
        return t.Failed switch
        {
            true => text + ", failed",
            false => text + ", not failed",
            null => text,
        };
    }

    public static string Imaging(Imaging i) => i.Date is null ? i.Text : $"{i.Date}: {i.Text}";
}
