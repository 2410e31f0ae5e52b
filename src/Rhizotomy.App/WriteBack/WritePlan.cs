using Hl7.Fhir.Model;
using Rhizotomy.App.Launch;

namespace Rhizotomy.App.WriteBack;

/// <summary>How a note reaches one EHR.</summary>
public enum WriteStrategy
{
    /// <summary>One transaction Bundle, every entry a conditional create on the note identifier.</summary>
    Transaction,
    /// <summary>One create per resource in dependency order, each with <c>If-None-Exist</c>; resumed after a partial failure.</summary>
    Individual,
    /// <summary>Only a plain-text DocumentReference; the app looks for its own identifier before any retry.</summary>
    DocumentOnly,
}

/// <summary>The strategy and the shape rules one EHR needs.</summary>
/// <param name="PlainTextOnly">Every DocumentReference content must be <c>text/plain</c>.</param>
/// <param name="SingleContent">Exactly one DocumentReference content.</param>
/// <param name="RequiresEncounter">DocumentReference <c>context.encounter</c> is required.</param>
/// <param name="Source">Where the choice came from (<c>capability</c> or <c>configuration</c>).</param>
/// <param name="ProvenanceByTag">The EHR searches Provenance by <c>_tag</c>, so its conditional create can use the note id tag;
/// otherwise the Provenance is created after the DocumentReference, conditional on <c>target</c>.</param>
public sealed record WritePlan(WriteStrategy Strategy, bool PlainTextOnly, bool SingleContent, bool RequiresEncounter, string Source, bool ProvenanceByTag = false)
{
    public string StrategyName => Name(Strategy);

    public static string Name(WriteStrategy strategy) => strategy switch
    {
        WriteStrategy.Transaction => "transaction",
        WriteStrategy.Individual => "individual",
        _ => "document-only",
    };

    public static WriteStrategy? Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "transaction" => WriteStrategy.Transaction,
        "individual" => WriteStrategy.Individual,
        "document-only" or "documentonly" or "document" => WriteStrategy.DocumentOnly,
        _ => null,
    };

    private static readonly string[] FullTypes = ["Procedure", "Composition", "DocumentReference", "Provenance"];

    /// <summary>
    /// Picks the richest strategy the CapabilityStatement allows, then applies the EHR's
    /// configuration, which wins. A transaction needs the <c>transaction</c> interaction and
    /// conditional create on every type; individual creates need create and conditional create on
    /// every type; anything else gets the DocumentReference alone. The DocumentReference shape rules
    /// are read from the resource's documentation (as the sandbox and real EHRs publish them).
    /// </summary>
    public static WritePlan Choose(CapabilityStatement? capability, EhrRegistration? ehr)
    {
        var rest = capability?.Rest.FirstOrDefault(r => r.Mode == CapabilityStatement.RestfulCapabilityMode.Server);
        WriteStrategy strategy;
        var plainText = false;
        var single = false;
        var encounter = false;
        var tag = false;
        if (rest is null)
        {
            // No statement to go by: the DocumentReference alone is what every EHR takes.
            strategy = WriteStrategy.DocumentOnly;
        }
        else
        {
            var resources = rest.Resource.ToDictionary(r => r.Type ?? "", StringComparer.Ordinal);
            bool Can(string type, CapabilityStatement.TypeRestfulInteraction interaction) =>
                resources.TryGetValue(type, out var r) && r.Interaction.Any(i => i.Code == interaction);
            bool Conditional(string type) => resources.TryGetValue(type, out var r) && r.ConditionalCreate == true;

            var allCreate = FullTypes.All(t => Can(t, CapabilityStatement.TypeRestfulInteraction.Create));
            var allConditional = FullTypes.All(Conditional);
            var transaction = rest.Interaction.Any(i => i.Code == CapabilityStatement.SystemRestfulInteraction.Transaction);
            strategy = transaction && allCreate && allConditional ? WriteStrategy.Transaction
                : allCreate && allConditional ? WriteStrategy.Individual
                : WriteStrategy.DocumentOnly;

            tag = rest.SearchParam.Any(p => p.Name == "_tag")
                || (resources.TryGetValue("Provenance", out var provenance) && provenance.SearchParam.Any(p => p.Name == "_tag"));
            var documentation = resources.TryGetValue("DocumentReference", out var doc) ? doc.Documentation ?? "" : "";
            plainText = documentation.Contains("text/plain", StringComparison.OrdinalIgnoreCase);
            single = documentation.Contains("exactly one content", StringComparison.OrdinalIgnoreCase);
            encounter = documentation.Contains("context.encounter", StringComparison.OrdinalIgnoreCase);
        }

        var source = "capability";
        if (Parse(ehr?.WriteStrategy) is { } configured)
        {
            strategy = configured;
            source = "configuration";
        }
        if (ehr?.PlainTextOnly is { } p) plainText = p;
        if (ehr?.SingleContent is { } s) single = s;
        // An EHR that takes only the document gets a plain-text one tied to an encounter: the shape every such EHR accepts.
        if (strategy == WriteStrategy.DocumentOnly)
        {
            plainText = ehr?.PlainTextOnly ?? true;
            encounter = true;
        }
        return new WritePlan(strategy, plainText, single, encounter, source, tag);
    }
}
