namespace Sandbox.Ehr.Fhir;

/// <summary>Which real EHR the sandbox imitates; each mode refuses what that EHR refuses.</summary>
public enum EhrMode
{
    Full,
    EpicLike,
    OracleLike,
}

/// <summary>Settings under <c>Sandbox</c> (storage, mode) and <c>Sandbox:Fhir</c> (limits).</summary>
public sealed class FhirServerOptions
{
    public EhrMode Mode { get; set; } = EhrMode.Full;

    /// <summary><c>file</c> (SQLite file under <see cref="DataFolder"/>) or <c>memory</c> (tests).</summary>
    public string Storage { get; set; } = "file";

    /// <summary>Relative paths resolve against the content root.</summary>
    public string DataFolder { get; set; } = "data";

    /// <summary>Wipe the store and seed it again on start.</summary>
    public bool Reseed { get; set; }

    /// <summary>Seed an empty store with the synthetic patients (tests that bring their own data turn it off).</summary>
    public bool Seed { get; set; } = true;

    /// <summary>Seed an empty store with the corpus charts too (<c>Sandbox:Seed:Corpus</c>; off unless set, on in the demo).</summary>
    public bool SeedCorpus { get; set; }

    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    public int DefaultCount { get; set; } = 50;

    public int MaxCount { get; set; } = 500;

    /// <summary>Transactions with more conditional (<c>ifNoneExist</c>) entries than this get 400 "too many entries"; 0: no limit.</summary>
    public int MaxConditionalEntries { get; set; }

    /// <summary>The CapabilityStatement states <see cref="MaxConditionalEntries"/> in <c>rest.documentation</c> (false: the limit is
    /// met only as a refusal, as from the independent server the issue saw).</summary>
    public bool StateMaxConditionalEntries { get; set; } = true;

    /// <summary>Serve <c>/metadata</c> with the malformed content real servers send (see <see cref="CapabilityStatementBuilder.Wild"/>).</summary>
    public bool WildMetadata { get; set; }

    public bool InMemory => string.Equals(Storage, "memory", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads the options from configuration; mode names are accepted as <c>epic-like</c> or <c>EpicLike</c>.</summary>
    public static FhirServerOptions From(IConfiguration configuration)
    {
        var sandbox = configuration.GetSection("Sandbox");
        var fhir = sandbox.GetSection("Fhir");
        var options = new FhirServerOptions
        {
            Mode = ParseMode(sandbox["Mode"]),
            Storage = sandbox["Storage"] ?? "file",
            DataFolder = sandbox["DataFolder"] ?? "data",
            Reseed = bool.TryParse(sandbox["Reseed"], out var reseed) && reseed,
            Seed = !bool.TryParse(sandbox["Seed"], out var seed) || seed,
            SeedCorpus = bool.TryParse(sandbox["Seed:Corpus"], out var corpus) && corpus,
        };
        if (long.TryParse(fhir["MaxBodyBytes"], out var max) && max > 0)
        {
            options.MaxBodyBytes = max;
        }
        if (int.TryParse(fhir["DefaultCount"], out var defaultCount) && defaultCount > 0)
        {
            options.DefaultCount = defaultCount;
        }
        if (int.TryParse(fhir["MaxCount"], out var maxCount) && maxCount > 0)
        {
            options.MaxCount = maxCount;
        }
        if (int.TryParse(fhir["MaxConditionalEntries"], out var maxConditional) && maxConditional > 0)
        {
            options.MaxConditionalEntries = maxConditional;
        }
        options.WildMetadata = bool.TryParse(fhir["WildMetadata"], out var wild) && wild;
        options.StateMaxConditionalEntries = !bool.TryParse(fhir["StateMaxConditionalEntries"], out var state) || state;
        options.DefaultCount = Math.Min(options.DefaultCount, options.MaxCount);
        return options;
    }

    public static EhrMode ParseMode(string? value) =>
        (value ?? "full").Replace("-", "", StringComparison.Ordinal).ToLowerInvariant() switch
        {
            "full" => EhrMode.Full,
            "epiclike" or "epic" => EhrMode.EpicLike,
            "oraclelike" or "oracle" or "cerner" => EhrMode.OracleLike,
            _ => throw new Hosting.SandboxSettingsException($"Sandbox:Mode is '{value}': put full, epic-like or oracle-like."),
        };

    public static string ModeName(EhrMode mode) => mode switch
    {
        EhrMode.EpicLike => "epic-like",
        EhrMode.OracleLike => "oracle-like",
        _ => "full",
    };
}
