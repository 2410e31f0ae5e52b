using Rhizotomy.Core.Evidence;

namespace Rhizotomy.App.Evidence;

/// <summary>One code list a site changes: <c>App:Evidence:ValueSets:&lt;id&gt;</c> with <c>Path</c> and <c>Replace</c>.</summary>
public sealed class EvidenceValueSetOption
{
    /// <summary>A FHIR ValueSet file (JSON) that lists its concepts.</summary>
    public string? Path { get; set; }
    /// <summary>True: the file replaces the shipped list; false (default): it adds to it.</summary>
    public bool Replace { get; set; }
}

/// <summary>
/// The configuration section <c>App:Evidence</c>: a site's changes to what the evidence builder
/// recognises, without code. Keys of <see cref="ValueSets"/> are the ids of <c>profiles/valuesets/</c>
/// (<c>evidence-occipital-nerve-block</c>, ...).
/// </summary>
public sealed class EvidenceOptions
{
    public Dictionary<string, EvidenceValueSetOption> ValueSets { get; set; } = [];
    /// <summary>Replaces <c>evidence-terms.json</c> (phrases, brand names).</summary>
    public string? Terms { get; set; }
    /// <summary>Replaces <c>necessity-criteria.json</c> (the medical-necessity checklist).</summary>
    public string? Criteria { get; set; }

    /// <summary>The shipped lists with this site's changes.</summary>
    /// <exception cref="EvidenceListException">A configured file is missing or unusable (the message names it).</exception>
    public EvidenceCodeLists Load()
    {
        if (ValueSets.Count == 0 && Terms is null && Criteria is null)
            return EvidenceCodeLists.Default;
        var missing = ValueSets.Where(v => string.IsNullOrWhiteSpace(v.Value.Path)).Select(v => v.Key).ToList();
        if (missing.Count > 0)
            throw new EvidenceListException($"App:Evidence:ValueSets:{missing[0]} has no Path.");
        return EvidenceCodeLists.Load(EvidenceCodeLists.DefaultFolder, new EvidenceListSettings(
            ValueSets.ToDictionary(v => v.Key, v => new EvidenceListOverride(v.Value.Path!, v.Value.Replace)), Terms, Criteria));
    }
}
