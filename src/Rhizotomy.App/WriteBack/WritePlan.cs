using Hl7.Fhir.Model;
using Rhizotomy.App.Launch;
using Rhizotomy.Core.Clinical;

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
/// <param name="Source">Where the choice came from: <c>capability</c>, <c>configuration</c>, <c>default</c> (no
/// CapabilityStatement could be read), or <c>ladder</c> (the EHR refused a richer strategy's shape, remembered per EHR).</param>
/// <param name="Why">One line on why this strategy (for <c>ehr-check</c> and the logs; no PHI).</param>
/// <param name="CanUpdateDocument">The EHR allows DocumentReference <c>update</c>: an amended note's original becomes <c>superseded</c> there.</param>
/// <param name="NoteType">The DocumentReference's LOINC type when the EHR refuses 11504-8 (<c>28570-0</c>); null: as composed.</param>
/// <param name="TransactionLimit">The most entries one transaction may hold, as the EHR's CapabilityStatement states it; null: none stated.</param>
public sealed partial record WritePlan(WriteStrategy Strategy, bool PlainTextOnly, bool SingleContent, bool RequiresEncounter, string Source,
    string? Why = null, bool CanUpdateDocument = false, string? NoteType = null, TransactionLimit? TransactionLimit = null)
{
    public string StrategyName => Name(Strategy);

    /// <summary>The next strategy down the ladder (transaction → individual → document only), null at the bottom.</summary>
    public static WriteStrategy? Below(WriteStrategy strategy) => strategy switch
    {
        WriteStrategy.Transaction => WriteStrategy.Individual,
        WriteStrategy.Individual => WriteStrategy.DocumentOnly,
        _ => null,
    };

    /// <summary>This plan one step down the ladder after the EHR refused its shape (<paramref name="why"/>).</summary>
    public WritePlan Down(WriteStrategy to, string why) => this with
    {
        Strategy = to,
        Source = "ladder",
        Why = why,
        // A document alone is the plain-text rendering every EHR shows.
        PlainTextOnly = to == WriteStrategy.DocumentOnly || PlainTextOnly,
    };

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

    /// <summary>
    /// This plan for one note: a transaction that would hold more entries than the EHR's stated <see cref="TransactionLimit"/>
    /// is planned as individual creates from the start (no refusal needed). Only this note: smaller notes still fit, so the
    /// EHR is not moved down the ladder.
    /// </summary>
    public WritePlan Within(Bundle note)
    {
        if (Strategy != WriteStrategy.Transaction || TransactionLimit is not { } limit)
            return this;
        var entries = EhrWriter.EntriesFor(this, note).Where(e => !e.AfterDocument).ToList();
        var counted = limit.ConditionalOnly ? entries.Count(e => e.IfNoneExist is not null) : entries.Count;
        return counted <= limit.Max ? this : this with
        {
            Strategy = WriteStrategy.Individual,
            Why = $"this note's transaction would hold {counted} {(limit.ConditionalOnly ? "conditional " : "")}entries; the EHR's CapabilityStatement allows at most {limit.Max}",
        };
    }

    /// <summary>
    /// A transaction limit stated in words in the CapabilityStatement's <c>rest.documentation</c>, as servers state it (there is
    /// no structured element for it in R4): "at most 8 conditional entries" (only entries with <c>ifNoneExist</c> count) or
    /// "at most 8 entries" (every entry counts).
    /// </summary>
    public static TransactionLimit? StatedLimit(string? documentation) =>
        documentation is not null && Limit().Match(documentation) is { Success: true } m
        && int.TryParse(m.Groups[1].Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var max) && max > 0
            ? new TransactionLimit(max, m.Groups[2].Success)
            : null;

    [System.Text.RegularExpressions.GeneratedRegex(@"\bat most (\d{1,6}) (conditional )?entries\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex Limit();

    private static readonly string[] FullTypes = ["Procedure", "Composition", "DocumentReference", "Provenance"];

    /// <summary>
    /// Picks the richest strategy the CapabilityStatement allows, then applies the EHR's
    /// configuration, which wins. A transaction needs the <c>transaction</c> interaction and
    /// conditional create on every type; individual creates need create and conditional create on
    /// every type; anything else gets the DocumentReference alone. The DocumentReference shape rules
    /// are read from the resource's documentation (as the sandbox and real EHRs publish them).
    /// </summary>
    public static WritePlan Choose(CapabilityStatement? capability, EhrRegistration? ehr, LadderMemory? remembered = null)
    {
        var rest = capability?.Rest.FirstOrDefault(r => r.Mode == CapabilityStatement.RestfulCapabilityMode.Server);
        WriteStrategy strategy;
        var plainText = false;
        var single = false;
        var encounter = false;
        var update = false;
        TransactionLimit? limit = null;
        string why;
        if (rest is null)
        {
            // No statement to go by: start at the top, the ladder moves down on the EHR's first refusal of a shape.
            strategy = WriteStrategy.Transaction;
            why = "no readable CapabilityStatement: the richest strategy first, the ladder moves down if the EHR refuses it";
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
            why = strategy switch
            {
                WriteStrategy.Transaction => "transaction, create and conditional create on every type written",
                WriteStrategy.Individual => "create and conditional create on every type written, no transaction",
                _ => "the CapabilityStatement lacks create or conditional create on " +
                    string.Join(", ", FullTypes.Where(t => !Can(t, CapabilityStatement.TypeRestfulInteraction.Create) || !Conditional(t))),
            };
            update = Can("DocumentReference", CapabilityStatement.TypeRestfulInteraction.Update);
            limit = StatedLimit(rest.Documentation);
            var documentation = resources.TryGetValue("DocumentReference", out var doc) ? doc.Documentation ?? "" : "";
            plainText = documentation.Contains("text/plain", StringComparison.OrdinalIgnoreCase);
            single = documentation.Contains("exactly one content", StringComparison.OrdinalIgnoreCase);
            encounter = documentation.Contains("context.encounter", StringComparison.OrdinalIgnoreCase);
        }

        var source = rest is null ? "default" : "capability";
        if (Parse(ehr?.WriteStrategy) is { } configured)
        {
            strategy = configured;
            source = "configuration";
            why = "App:Ehrs:n:WriteStrategy";
        }
        // The EHR refused a richer strategy's shape before: start where it worked.
        if (remembered is { } floor && floor.Strategy > strategy)
        {
            strategy = floor.Strategy;
            source = "ladder";
            why = floor.Why;
        }
        if (ehr?.PlainTextOnly is { } p) plainText = p;
        if (ehr?.SingleContent is { } s) single = s;
        // An EHR that takes only the document gets a plain-text one tied to an encounter: the shape every such EHR accepts.
        if (strategy == WriteStrategy.DocumentOnly)
        {
            plainText = ehr?.PlainTextOnly ?? true;
            // Only when the EHR says nothing else: a ladder step down keeps what the statement said about encounters.
            encounter = source != "ladder" || encounter;
        }
        var noteType = ehr?.NoteType == Known.Loinc.ProcedureNote ? Known.Loinc.ProcedureNote : null;
        return new WritePlan(strategy, plainText, single, encounter, source, why, update, noteType, limit);
    }
}

/// <summary>The most entries one transaction may hold; <paramref name="ConditionalOnly"/>: only entries with <c>ifNoneExist</c> count.</summary>
public sealed record TransactionLimit(int Max, bool ConditionalOnly);

/// <summary>What an EHR's refusals taught: the strategy to start at (persisted per issuer) and why.</summary>
public sealed record LadderMemory(WriteStrategy Strategy, string Why);
