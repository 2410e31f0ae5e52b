using Hl7.Fhir.Model;

namespace Sandbox.Ehr.Fhir;

/// <summary>
/// In-process access to the sandbox's FHIR data, for the sandbox's own screens (launcher, chart)
/// and seeding. It bypasses SMART authorization: never expose it over HTTP.
/// </summary>
public interface IFhirStore
{
    Task<Resource?> ReadAsync(string resourceType, string id, CancellationToken cancellationToken = default);

    /// <summary>Every match of a FHIR search query string (<c>patient=x&amp;category=y</c>), unpaged.</summary>
    Task<IReadOnlyList<Resource>> SearchAsync(string resourceType, string query, CancellationToken cancellationToken = default);

    /// <summary>Processes a transaction Bundle atomically and returns the transaction-response Bundle.</summary>
    Task<Bundle> TransactionAsync(Bundle transaction, CancellationToken cancellationToken = default);
}

/// <summary>Seeding the store with resources that carry their own ids (tests, load drivers, site seeds).</summary>
public static class FhirStoreSeeding
{
    /// <summary>Stores each resource under its own type and id (a PUT each), in one transaction.</summary>
    public static Task<Bundle> PutAllAsync(this IFhirStore store, IEnumerable<Resource> resources, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        foreach (var r in resources)
            bundle.Entry.Add(new Bundle.EntryComponent { Resource = r, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"{r.TypeName}/{r.Id}" } });
        return store.TransactionAsync(bundle, cancellationToken);
    }
}
