using Hl7.Fhir.Model;
using Microsoft.AspNetCore.WebUtilities;

namespace Sandbox.Ehr.Fhir;

/// <summary>In-process, trusted access to the same store and engine the REST API uses.</summary>
public sealed class SqliteFhirStore(FhirDatabase database, FhirEngine engine, IConfiguration configuration) : IFhirStore
{
    private readonly CallContext _context = new()
    {
        BaseUrl = (configuration["Sandbox:Fhir:BaseUrl"] ?? "http://127.0.0.1:5080/fhir").TrimEnd('/'),
        Policy = null,
        EnforceMode = false,
    };

    public Task<Resource?> ReadAsync(string resourceType, string id, CancellationToken cancellationToken = default) =>
        database.InTransactionAsync(session => engine.Read(session, _context, resourceType, id) is { Status: 200, Resource: { } resource } ? resource : null, cancellationToken);

    public async Task<IReadOnlyList<Resource>> SearchAsync(string resourceType, string query, CancellationToken cancellationToken = default)
    {
        var parameters = QueryHelpers.ParseQuery(query.StartsWith('?') ? query : "?" + query)
            .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? "")))
            .Where(p => p.Key is not ("_count" or FhirEngine.CursorParameter))
            .ToList();
        parameters.Add(new("_count", engine.Options.MaxCount.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var matches = new List<Resource>();
        string? cursor = null;
        do
        {
            var page = cursor is null ? parameters : [.. parameters, new(FhirEngine.CursorParameter, cursor)];
            var result = await database.InTransactionAsync(session => engine.Search(session, _context, resourceType, page), cancellationToken);
            if (result.Resource is not Bundle bundle)
            {
                throw new ArgumentException(DiagnosticsOf(result), nameof(query));
            }
            matches.AddRange(bundle.Entry.Where(e => e.Search?.Mode == Bundle.SearchEntryMode.Match).Select(e => e.Resource).OfType<Resource>());
            cursor = bundle.Link.FirstOrDefault(l => l.Relation == "next")?.Url is { } next
                ? QueryHelpers.ParseQuery(new Uri(next).Query)[FhirEngine.CursorParameter].ToString()
                : null;
        }
        while (cursor is not null);
        return matches;
    }

    public async Task<Bundle> TransactionAsync(Bundle transaction, CancellationToken cancellationToken = default)
    {
        var result = await database.InTransactionAsync(session =>
        {
            var outcome = engine.ProcessBundle(session, _context, transaction);
            session.RollbackRequested = outcome.IsError;
            return outcome;
        }, cancellationToken);
        return result.Resource as Bundle ?? throw new InvalidOperationException("The transaction failed: " + DiagnosticsOf(result));
    }

    private static string DiagnosticsOf(FhirResult result) =>
        result.Resource is OperationOutcome outcome ? string.Join("; ", outcome.Issue.Select(i => i.Diagnostics)) : $"status {result.Status}";
}
