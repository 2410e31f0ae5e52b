namespace Rhizotomy.App.Launch;

/// <summary>
/// The scopes the app asks for, in one place, and what a granted scope string allows. Asked in
/// SMART v2 syntax by default and rewritten to v1 (<c>.read</c>/<c>.write</c>) for v1-only servers.
/// </summary>
public static class Scopes
{
    /// <summary>Reads for the chart wave, identity, and refresh.</summary>
    public static readonly IReadOnlyList<string> Read =
    [
        "launch", "openid", "fhirUser", "offline_access",
        "patient/Patient.r", "patient/Condition.rs", "patient/Procedure.rs", "patient/Encounter.rs",
        "patient/MedicationRequest.rs", "patient/MedicationStatement.rs", "patient/DiagnosticReport.rs",
        "patient/Observation.rs", "user/Practitioner.r",
    ];

    /// <summary>What the note write-back needs.</summary>
    public static readonly IReadOnlyList<string> Write =
    [
        // Read and search too: a conditional create searches, and answers with the match it found;
        // a document-only write looks for its own identifier before a retry.
        "patient/DocumentReference.crus", "patient/Procedure.crus", "patient/Composition.crs",
        "patient/QuestionnaireResponse.crus",
        // A Provenance names no patient (its targets do): a patient/ scope cannot reach it on create.
        "user/Provenance.crs",
    ];

    /// <summary>The reads without which the app has no case to show (the patient, diagnoses, prior blocks), in the surgeon's words.</summary>
    public static readonly IReadOnlyList<(string ResourceType, bool Search, string Words)> ChartMinimum =
    [
        ("Patient", false, "the patient's record"),
        ("Condition", true, "diagnoses"),
        ("Procedure", true, "procedures (prior nerve blocks)"),
    ];

    /// <summary>What of <see cref="ChartMinimum"/> a grant leaves out (empty: the chart can be read).</summary>
    public static IReadOnlyList<string> MissingForChart(GrantedScopes granted) =>
        [.. ChartMinimum.Where(m => !granted.CanRead(m.ResourceType, m.Search)).Select(m => m.Words)];

    /// <summary>"a", "a and b", "a, b and c".</summary>
    public static string Words(IReadOnlyList<string> items) =>
        items.Count <= 1 ? string.Concat(items) : string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1];

    /// <summary>The scope string to request from one EHR.</summary>
    /// <param name="standalone">No <c>launch</c> parameter: ask the server to pick a patient instead.</param>
    public static string Request(EhrRegistration ehr, SmartConfiguration config, bool standalone)
    {
        var wanted = string.IsNullOrWhiteSpace(ehr.Scopes)
            ? Read.Concat(Write).ToList()
            : ehr.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();

        if (standalone)
            wanted = wanted.Select(s => s == "launch" ? "launch/patient" : s).ToList();
        else if (!wanted.Contains("launch"))
            wanted.Insert(0, "launch");

        var v2 = ehr.ScopeVersion switch
        {
            "v1" => false,
            "v2" => true,
            _ => config.PermissionV2,
        };
        if (!v2)
            wanted = wanted.SelectMany(ToV1).ToList();
        return string.Join(' ', wanted.Distinct(StringComparer.Ordinal));
    }

    /// <summary><c>patient/Condition.rs</c> → <c>patient/Condition.read</c>; <c>.cru</c> → read and write.</summary>
    public static IEnumerable<string> ToV1(string scope)
    {
        var dot = scope.LastIndexOf('.');
        if (!scope.Contains('/') || dot < 0 || scope.StartsWith("launch", StringComparison.Ordinal))
        {
            yield return scope;
            yield break;
        }
        var resource = scope[..dot];
        var ops = scope[(dot + 1)..];
        if (ops is "read" or "write" or "*")
        {
            yield return scope;
            yield break;
        }
        if (ops.Contains('r') || ops.Contains('s'))
            yield return resource + ".read";
        if (ops.Contains('c') || ops.Contains('u') || ops.Contains('d'))
            yield return resource + ".write";
    }
}

/// <summary>
/// A granted scope string, read in either syntax. The app honours it: what was not granted is not
/// attempted, and the UI says which mode it is in.
/// </summary>
public sealed class GrantedScopes
{
    private readonly HashSet<string> _scopes;

    public GrantedScopes(string? scope) =>
        _scopes = (scope ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);

    public IReadOnlyCollection<string> All => _scopes;

    public bool Has(string scope) => _scopes.Contains(scope);

    /// <summary>Reading (<c>r</c>, or search <c>s</c>) of a resource type in the patient or user compartment.</summary>
    public bool CanRead(string resourceType, bool search = false) => Allows(resourceType, search ? 's' : 'r');

    /// <summary>Creating a resource type.</summary>
    public bool CanCreate(string resourceType) => Allows(resourceType, 'c');

    private bool Allows(string resourceType, char op)
    {
        foreach (var scope in _scopes)
        {
            var slash = scope.IndexOf('/');
            var dot = scope.LastIndexOf('.');
            if (slash <= 0 || dot < slash)
                continue;
            var context = scope[..slash];
            if (context is not ("patient" or "user" or "system"))
                continue;
            var type = scope[(slash + 1)..dot];
            if (type != "*" && type != resourceType)
                continue;
            var ops = scope[(dot + 1)..];
            var query = ops.IndexOf('?');
            if (query >= 0)
                ops = ops[..query];
            var allowed = ops switch
            {
                "*" => true,
                "read" => op is 'r' or 's',
                "write" => op is 'c' or 'u' or 'd',
                _ => ops.Length > 0 && ops.All(c => "cruds".Contains(c)) && ops.Contains(op),
            };
            if (allowed)
                return true;
        }
        return false;
    }
}
