using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Evidence;

/// <summary>The code lists of the evidence builder, by ValueSet id (the files in <c>profiles/valuesets/</c>).</summary>
public static class EvidenceValueSets
{
    public const string OccipitalNerveBlock = "evidence-occipital-nerve-block";
    public const string PhysicalTherapy = "evidence-physical-therapy";
    public const string HeadNeckImaging = "evidence-head-neck-imaging";
    public const string HeadacheMedication = "evidence-headache-medication";
    public const string AnalgesicMedication = "evidence-analgesic-medication";
    public const string PainScore = "evidence-pain-score";
    public const string IndicationDiagnosis = "evidence-indication-diagnosis";

    public static readonly IReadOnlyList<string> All =
        [OccipitalNerveBlock, PhysicalTherapy, HeadNeckImaging, HeadacheMedication, AnalgesicMedication, PainScore, IndicationDiagnosis];
}

/// <summary>A site's change to one evidence code list: a ValueSet file that extends or replaces the shipped one.</summary>
public sealed record EvidenceListOverride(string Path, bool Replace);

/// <summary>Where a site's evidence data lives (all optional; what is not given is the shipped default).</summary>
/// <param name="ValueSets">By ValueSet id (<see cref="EvidenceValueSets"/>).</param>
/// <param name="TermsPath">Replaces <c>evidence-terms.json</c>.</param>
/// <param name="CriteriaPath">Replaces <c>necessity-criteria.json</c>.</param>
public sealed record EvidenceListSettings(IReadOnlyDictionary<string, EvidenceListOverride> ValueSets, string? TermsPath = null, string? CriteriaPath = null)
{
    public static EvidenceListSettings None { get; } = new(new Dictionary<string, EvidenceListOverride>());
}

/// <summary>The evidence data could not be loaded; the message names the file and what is wrong.</summary>
public sealed class EvidenceListException(string message) : Exception(message);

/// <summary>The (system, code) pairs of one ValueSet, enumerated concepts only.</summary>
public sealed class CodeSet(IEnumerable<(string System, string Code)> codes)
{
    private readonly HashSet<(string, string)> _codes = [.. codes];

    public int Count => _codes.Count;

    public bool Contains(string? system, string? code) =>
        system is not null && code is not null && _codes.Contains((system, code));

    public bool Contains(Coding coding) => Contains(coding.System, coding.Code);

    public bool Contains(CodeableConcept? concept) => concept is not null && concept.Coding.Any(Contains);
}

/// <summary>A drug the builder recognises by name: its ingredient, its headache-relevant class (or null), its brand names.</summary>
public sealed record MedicationTerm(string Ingredient, string? Class, IReadOnlyList<string> Brands);

/// <summary>One criterion of the medical-necessity checklist as data.</summary>
/// <param name="Kind"><c>diagnosis</c>, <c>symptom-duration</c>, <c>conservative-therapy</c>, <c>diagnostic-block</c> or <c>imaging</c>.</param>
public sealed record CriterionDefinition(string Id, string Kind, string Text, int? MinimumMonths = null, int? MinimumCount = null, int? MinimumReliefPercent = null);

/// <summary>
/// Everything the evidence builder recognises, as data: the ValueSets of <c>profiles/valuesets/</c>
/// (each code with its published source), the phrases of <c>evidence-terms.json</c> (text matching and
/// brand-to-ingredient names) and the checklist of <c>necessity-criteria.json</c>. A site extends or
/// replaces any of them by configuration.
/// </summary>
public sealed class EvidenceCodeLists
{
    public const string TermsFile = "evidence-terms.json";
    public const string CriteriaFile = "necessity-criteria.json";

    private static readonly Lazy<EvidenceCodeLists> Shipped = new(() => Load(DefaultFolder));
    private static readonly string[] CriterionKinds = ["diagnosis", "symptom-duration", "conservative-therapy", "diagnostic-block", "imaging"];
    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled | RegexOptions.ExplicitCapture;

    private readonly Dictionary<string, CodeSet> _sets;
    private readonly Dictionary<string, MedicationTerm> _medicationByName;

    private EvidenceCodeLists(Dictionary<string, CodeSet> sets, TermsData terms, CriteriaData criteria)
    {
        _sets = sets;
        Criteria = criteria.Criteria;
        CriteriaName = criteria.Name;
        DiagnosisText = Join(terms.DiagnosisText);
        HeadacheOrNeckReasonText = Join(terms.HeadacheOrNeckReasonText);
        BlockText = Join(terms.BlockText);
        PhysicalTherapyText = Join(terms.PhysicalTherapyText);
        OtherInjectionText = Join(terms.OtherInjectionText ?? []);
        NeckOrHeadText = Join(terms.NeckOrHeadText);
        ImagingModalityText = Join(terms.ImagingModalityText);
        HeadNeckRegionText = Join(terms.HeadNeckRegionText);
        ReliefObservationText = Join(terms.ReliefObservationText);
        PainScoreText = Join(terms.PainScoreText);
        FailureText = Join(terms.FailureText);
        ReliefText = terms.ReliefText.Select(p => new Regex(p, Options)).ToList();
        PainBeforeAfterText = terms.PainBeforeAfterText.Select(p => new Regex(p, Options)).ToList();
        DurationText = Join(terms.DurationText);
        VolumeText = Join(terms.VolumeText);
        AgentText = Join(terms.AgentText);
        GuidanceText = terms.GuidanceText.Select(g => (new Regex(g.Pattern, Options), g.Guidance)).ToList();
        CodeNerve = terms.CodeNerve.ToDictionary(c => (c.System, c.Code), c => NerveNamed(c.Nerve, "codeNerve"));
        NerveText = terms.NerveText.Select(n => (new Regex(n.Pattern, Options), NerveNamed(n.Nerve, "nerveText"))).ToList();
        OtherRegionText = Join(terms.OtherRegionText);
        Medications = terms.Medications.Select(m => new MedicationTerm(m.Ingredient, m.Class, m.Brands)).ToList();
        _medicationByName = new(StringComparer.OrdinalIgnoreCase);
        foreach (var m in Medications)
        {
            _medicationByName[m.Ingredient] = m;
            foreach (var brand in m.Brands)
                _medicationByName[brand] = m;
        }
        MedicationName = _medicationByName.Count == 0
            ? new Regex("(?!)", Options)
            : new Regex(@"\b(?<name>" + string.Join("|", _medicationByName.Keys.OrderByDescending(k => k.Length).Select(Regex.Escape)) + @")\b", Options);
    }

    /// <summary>The shipped lists, beside the assembly (<c>profiles/valuesets/</c>).</summary>
    public static EvidenceCodeLists Default => Shipped.Value;

    public static string DefaultFolder => Path.Combine(AppContext.BaseDirectory, "profiles", "valuesets");

    public CodeSet Set(string valueSetId) => _sets.TryGetValue(valueSetId, out var set) ? set : new CodeSet([]);

    public IReadOnlyList<CriterionDefinition> Criteria { get; }
    public string CriteriaName { get; }
    public Regex DiagnosisText { get; }
    public Regex HeadacheOrNeckReasonText { get; }
    public Regex BlockText { get; }
    public Regex PhysicalTherapyText { get; }
    /// <summary>Another injection for the pain that is a conservative therapy (trigger points); not a nerve block.</summary>
    public Regex OtherInjectionText { get; }
    public Regex NeckOrHeadText { get; }
    public Regex ImagingModalityText { get; }
    public Regex HeadNeckRegionText { get; }
    public Regex ReliefObservationText { get; }
    public Regex PainScoreText { get; }
    public Regex FailureText { get; }
    /// <summary>Relief wording; each has a <c>percent</c> group.</summary>
    public IReadOnlyList<Regex> ReliefText { get; }
    /// <summary>Pain before and after in text; groups <c>before</c> and <c>after</c>.</summary>
    public IReadOnlyList<Regex> PainBeforeAfterText { get; }
    public Regex DurationText { get; }
    public Regex VolumeText { get; }
    public Regex AgentText { get; }
    public IReadOnlyList<(Regex Pattern, string Guidance)> GuidanceText { get; }
    public IReadOnlyDictionary<(string System, string Code), Nerve> CodeNerve { get; }
    /// <summary>The nerve a block's wording names, in order (the first match wins).</summary>
    public IReadOnlyList<(Regex Pattern, Nerve Nerve)> NerveText { get; }
    /// <summary>A body region other than the head or neck: imaging text naming one is not head or neck imaging.</summary>
    public Regex OtherRegionText { get; }
    public IReadOnlyList<MedicationTerm> Medications { get; }
    /// <summary>Any ingredient or brand name; group <c>name</c>.</summary>
    public Regex MedicationName { get; }

    /// <summary>The drug a name (ingredient or brand) stands for, or null.</summary>
    public MedicationTerm? Medication(string name) => _medicationByName.GetValueOrDefault(name);

    /// <summary>Loads the lists of <paramref name="folder"/>, then applies a site's <paramref name="settings"/>.</summary>
    /// <exception cref="EvidenceListException">A file is missing or unusable.</exception>
    public static EvidenceCodeLists Load(string folder, EvidenceListSettings? settings = null)
    {
        settings ??= EvidenceListSettings.None;
        var sets = new Dictionary<string, CodeSet>();
        foreach (var id in EvidenceValueSets.All)
        {
            var codes = Codes(Path.Combine(folder, $"ValueSet-{id}.json"));
            if (settings.ValueSets.TryGetValue(id, out var site))
                codes = site.Replace ? Codes(site.Path) : [.. codes, .. Codes(site.Path)];
            sets[id] = new CodeSet(codes);
        }
        foreach (var unknown in settings.ValueSets.Keys.Except(EvidenceValueSets.All))
            throw new EvidenceListException($"No evidence code list is called '{unknown}' (known: {string.Join(", ", EvidenceValueSets.All)}).");

        var terms = Json<TermsData>(settings.TermsPath ?? Path.Combine(folder, TermsFile));
        var criteria = Json<CriteriaData>(settings.CriteriaPath ?? Path.Combine(folder, CriteriaFile));
        foreach (var c in criteria.Criteria.Where(c => !CriterionKinds.Contains(c.Kind)))
            throw new EvidenceListException($"Criterion '{c.Id}' has an unknown kind '{c.Kind}' (known: {string.Join(", ", CriterionKinds)}).");
        try
        {
            return new EvidenceCodeLists(sets, terms, criteria);
        }
        catch (ArgumentException e)
        {
            throw new EvidenceListException($"A pattern of the evidence terms is not a valid regular expression: {e.Message}");
        }
    }

    private static List<(string System, string Code)> Codes(string file)
    {
        if (!File.Exists(file))
            throw new EvidenceListException($"Evidence ValueSet file '{Path.GetFileName(file)}' does not exist.");
        ValueSet valueSet;
        try
        {
            valueSet = new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<ValueSet>(File.ReadAllText(file));
        }
        catch (Exception e) when (e is DeserializationFailedException or FormatException or JsonException)
        {
            throw new EvidenceListException($"Evidence ValueSet file '{Path.GetFileName(file)}' is not a readable FHIR ValueSet: {e.Message}");
        }
        var codes = new List<(string, string)>();
        foreach (var include in valueSet.Compose?.Include ?? [])
        {
            if (include.Filter.Count > 0 || include.ValueSet.Any() || include.System is null || include.Concept.Count == 0)
                throw new EvidenceListException($"Evidence ValueSet file '{Path.GetFileName(file)}': every include must list its concepts of one system (no filters, no whole systems, no imported ValueSets).");
            codes.AddRange(include.Concept.Where(c => c.Code is not null).Select(c => (include.System, c.Code!)));
        }
        return codes;
    }

    private static T Json<T>(string file)
    {
        if (!File.Exists(file))
            throw new EvidenceListException($"Evidence data file '{Path.GetFileName(file)}' does not exist.");
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(file), JsonOptions)
                ?? throw new EvidenceListException($"Evidence data file '{Path.GetFileName(file)}' is empty.");
        }
        catch (JsonException e)
        {
            throw new EvidenceListException($"Evidence data file '{Path.GetFileName(file)}' is not usable: {e.Message}");
        }
    }

    // A nerve of the project CodeSystem, named without its "-nerve" ("greater-occipital").
    private static Nerve NerveNamed(string name, string list) =>
        Known.Concepts.FirstOrDefault(c => c.Group == "nerve" && c.Code == name + "-nerve") is { } concept
            ? new Nerve(concept.Code)
            : throw new EvidenceListException($"{TermsFile}: {list} names an unknown nerve '{name}' ({string.Join(", ", Known.Concepts.Where(c => c.Group == "nerve").Select(c => c.Code[..^"-nerve".Length]))}).");

    private static Regex Join(IReadOnlyList<string> patterns) =>
        patterns.Count == 0 ? new Regex("(?!)", Options) : new Regex(string.Join("|", patterns.Select(p => $"(?:{p})")), Options);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    private sealed record TermsData(
        IReadOnlyList<string> DiagnosisText,
        IReadOnlyList<string> HeadacheOrNeckReasonText,
        IReadOnlyList<string> BlockText,
        IReadOnlyList<string> PhysicalTherapyText,
        IReadOnlyList<string> NeckOrHeadText,
        IReadOnlyList<string> ImagingModalityText,
        IReadOnlyList<string> HeadNeckRegionText,
        IReadOnlyList<string> ReliefObservationText,
        IReadOnlyList<string> PainScoreText,
        IReadOnlyList<string> FailureText,
        IReadOnlyList<string> ReliefText,
        IReadOnlyList<string> PainBeforeAfterText,
        IReadOnlyList<string> DurationText,
        IReadOnlyList<string> VolumeText,
        IReadOnlyList<string> AgentText,
        IReadOnlyList<GuidanceData> GuidanceText,
        IReadOnlyList<NerveTextData> NerveText,
        IReadOnlyList<string> OtherRegionText,
        IReadOnlyList<CodeNerveData> CodeNerve,
        IReadOnlyList<MedicationData> Medications,
        IReadOnlyList<string>? OtherInjectionText = null);

    private sealed record GuidanceData(string Pattern, string Guidance);

    private sealed record NerveTextData(string Pattern, string Nerve);

    private sealed record CodeNerveData(string System, string Code, string Nerve);

    private sealed record MedicationData(string Ingredient, string? Class, IReadOnlyList<string> Brands);

    private sealed record CriteriaData(string Name, IReadOnlyList<CriterionDefinition> Criteria);
}
