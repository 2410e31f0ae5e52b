using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Options;
using Rhizotomy.App.Ehr;
using Rhizotomy.Core.Clinical;

using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.WriteBack;

/// <summary>What one send attempt came to.</summary>
public enum AttemptKind
{
    Written,
    /// <summary>Worth trying again later (408, 429, 5xx, timeouts, dropped connections).</summary>
    Retry,
    /// <summary>The token was refused: get a fresh one, then try again.</summary>
    Unauthorized,
    /// <summary>The EHR refused the note for a reason retrying cannot fix.</summary>
    Refused,
    /// <summary>
    /// The EHR refused the request's shape or size, not the note (a bundle limit, an interaction or
    /// <c>transaction</c> it does not support): the next strategy down the ladder can write it.
    /// </summary>
    ShapeRefused,
}

/// <summary>The result of one attempt, with the progress it made (individual creates keep what they wrote).</summary>
public sealed record AttemptResult(
    AttemptKind Kind,
    IReadOnlyDictionary<string, string> Written,
    int RoundTrips,
    string? Reason = null,
    TimeSpan? RetryAfter = null,
    bool Ambiguous = false,
    OperationOutcome? Outcome = null);

/// <summary>Everything one attempt needs: the EHR, the token, and the composed note as a transaction Bundle.</summary>
public sealed record WriteRequest(
    string Issuer,
    string AccessToken,
    string NoteId,
    string PatientId,
    WritePlan Plan,
    Bundle Note,
    IReadOnlyDictionary<string, string> AlreadyWritten,
    bool LookFirst);

/// <summary>
/// Sends a composed note to the EHR once, by the plan's strategy, through the EHR gateway (the
/// same token handler and resilience pipeline as the chart reads, whose retries never repeat a
/// write) with Firely serialisation and tolerant reading of the answers. It never retries a write
/// by itself: the outbox decides when to try again, so every attempt is counted, stored and visible.
/// </summary>
public sealed partial class EhrWriter(EhrClientFactory clients, IOptions<WriteBackOptions> options)
{
    private static readonly FhirJsonSerializer Serializer = new();

    /// <summary>Called after each resource an individual create wrote, so a crash after it loses nothing.</summary>
    public delegate Task ProgressCallback(IReadOnlyDictionary<string, string> written);

    public async Task<AttemptResult> SendAsync(WriteRequest request, ProgressCallback progress, CancellationToken ct)
    {
        using var connection = clients.Create(request.Issuer, request.AccessToken, Timeout.InfiniteTimeSpan);
        var session = new Session(connection.Http, request, TimeSpan.FromSeconds(options.Value.AttemptTimeoutSeconds), json => clients.Parse(request.Issuer, json));
        try
        {
            var result = request.Plan.Strategy switch
            {
                WriteStrategy.Transaction => await TransactionAsync(session, ct),
                WriteStrategy.Individual => await IndividualAsync(session, progress, ct),
                _ => await DocumentOnlyAsync(session, ct),
            };
            if (result.Kind == AttemptKind.Written && request.Plan.CanUpdateDocument)
                await SupersedeAsync(session, ct);
            return result with { RoundTrips = session.RoundTrips };
        }
        catch (AttemptFailed failed)
        {
            return failed.Result with { RoundTrips = session.RoundTrips, Written = failed.Result.Written.Count > 0 ? failed.Result.Written : session.Written };
        }
    }

    /// <summary>The resources a plan writes, adapted to the EHR's rules, in write order.</summary>
    public static IReadOnlyList<WriteEntry> EntriesFor(WritePlan plan, Bundle note)
    {
        var entries = note.Entry.Where(e => e.Resource is not null && e.FullUrl is not null
            && (plan.Strategy != WriteStrategy.DocumentOnly || e.Resource is DocumentReference));
        return [.. entries.Select(e =>
        {
            // The Provenance is found by its target (a standard search every server has; _tag search many lack):
            // it is written after the DocumentReference, conditional on target = that DocumentReference.
            var afterDocument = e.Resource is Provenance;
            var update = e.Request?.Method == Bundle.HTTPVerb.PUT ? e.Request.Url : null;
            return new WriteEntry(e.FullUrl!, Adapt(plan, (Resource)e.Resource!.DeepCopy()), afterDocument || update is not null ? null : e.Request?.IfNoneExist, afterDocument, update);
        })];
    }

    /// <summary>One resource to write: its <c>urn:uuid</c>, the resource, and the search that finds an earlier copy.</summary>
    /// <param name="AfterDocument">Written on its own after the DocumentReference, conditional on <c>target</c> = that DocumentReference.</param>
    /// <param name="UpdateOf">An amendment's update of a resource the EHR already has (<c>Procedure/12</c>): PUT, idempotent by nature.</param>
    public sealed record WriteEntry(string FullUrl, Resource Resource, string? IfNoneExist, bool AfterDocument = false, string? UpdateOf = null);

    private static Resource Adapt(WritePlan plan, Resource resource)
    {
        if (resource is DocumentReference document && (plan.PlainTextOnly || plan.SingleContent))
        {
            // The plain-text rendering is the readable note every EHR shows.
            var plain = document.Content.FirstOrDefault(c => c.Attachment?.ContentType?.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase) == true);
            document.Content = plain is null ? [.. document.Content.Take(1)] : [plain];
        }
        if (resource is DocumentReference typed && plan.NoteType == Known.Loinc.ProcedureNote)
            typed.Type = new CodeableConcept(Known.Systems.Loinc, Known.Loinc.ProcedureNote, "Procedure note", null);
        return resource;
    }

    private static async Task<AttemptResult> TransactionAsync(Session s, CancellationToken ct)
    {
        var all = EntriesFor(s.Request.Plan, s.Request.Note);
        var entries = all.Where(e => !e.AfterDocument).ToList();
        if (entries.All(e => s.Written.ContainsKey(e.FullUrl)))
            return await CreateEachAsync(s, all, null, ct);
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry = [.. entries.Select(e => new Bundle.EntryComponent
            {
                FullUrl = e.FullUrl,
                Resource = e.Resource,
                Request = e.UpdateOf is not null
                    ? new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = e.UpdateOf }
                    : new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = e.Resource.TypeName, IfNoneExist = e.IfNoneExist },
            })],
        };
        using var response = await s.SendAsync(HttpMethod.Post, "", bundle, null, ct, transaction: true);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (s.Parse(body) is not Bundle answer || answer.Entry.Count != entries.Count)
            throw new AttemptFailed(new AttemptResult(AttemptKind.Retry, s.Written, s.RoundTrips, "unreadable transaction answer", Ambiguous: true));
        for (var i = 0; i < entries.Count; i++)
        {
            var reference = ReferenceFrom(answer.Entry[i].Response?.Location, s.Request.Issuer)
                ?? (answer.Entry[i].Resource is { Id: not null } r ? $"{r.TypeName}/{r.Id}" : null);
            if (reference is not null)
                s.Written[entries[i].FullUrl] = reference;
        }
        return await CreateEachAsync(s, all, null, ct);
    }

    private static Task<AttemptResult> IndividualAsync(Session s, ProgressCallback progress, CancellationToken ct) =>
        CreateEachAsync(s, EntriesFor(s.Request.Plan, s.Request.Note), progress, ct);

    /// <summary>Creates, in order, every entry not yet written (each conditional), recording each as it lands.</summary>
    private static async Task<AttemptResult> CreateEachAsync(Session s, IReadOnlyList<WriteEntry> entries, ProgressCallback? progress, CancellationToken ct)
    {
        var documentUrl = entries.FirstOrDefault(e => e.Resource is DocumentReference)?.FullUrl;
        foreach (var entry in entries)
        {
            if (s.Written.ContainsKey(entry.FullUrl))
                continue;
            var resource = entry.Resource;
            RewriteReferences(resource, s.Written);
            var condition = entry.IfNoneExist;
            if (entry.AfterDocument && documentUrl is not null && s.Written.TryGetValue(documentUrl, out var documentReference))
                condition = "target=" + documentReference;
            using var response = entry.UpdateOf is not null
                ? await s.SendAsync(HttpMethod.Put, entry.UpdateOf, resource, null, ct)
                : await s.SendAsync(HttpMethod.Post, resource.TypeName, resource, condition, ct);
            var reference = entry.UpdateOf ?? await CreatedReference(s, response, ct)
                ?? throw new AttemptFailed(new AttemptResult(AttemptKind.Retry, s.Written, s.RoundTrips, "no location in the create answer", Ambiguous: true));
            s.Written[entry.FullUrl] = reference;
            if (progress is not null)
                await progress(new Dictionary<string, string>(s.Written));
        }
        return new AttemptResult(AttemptKind.Written, s.Written, s.RoundTrips);
    }

    private static async Task<AttemptResult> DocumentOnlyAsync(Session s, CancellationToken ct)
    {
        var entry = EntriesFor(s.Request.Plan, s.Request.Note).Single();
        var document = (DocumentReference)entry.Resource;
        if (s.Request.Plan.RequiresEncounter && document.Context?.Encounter.Count is null or 0)
        {
            return new AttemptResult(AttemptKind.Refused, s.Written, 0, "no encounter",
                Outcome: LocalOutcome(OperationOutcome.IssueType.Required, "This EHR files a note only against an encounter, and the note has none. Choose the encounter and sign again."));
        }
        // No conditional create here: the app itself makes sure an earlier attempt did not already write it.
        if (s.Request.LookFirst)
        {
            var search = $"DocumentReference?identifier={Uri.EscapeDataString(Known.NoteIdentifierSystem + "|" + s.Request.NoteId)}&patient={Uri.EscapeDataString(ChartReader.PatientReference(s.Request.PatientId))}";
            using var found = await s.SendAsync(HttpMethod.Get, search, null, null, ct);
            if (s.Parse(await found.Content.ReadAsStringAsync(ct)) is Bundle hits
                && hits.Entry.FirstOrDefault(e => e.Resource is DocumentReference && e.Search?.Mode is null or Bundle.SearchEntryMode.Match)?.Resource is { Id: not null } existing)
            {
                s.Written[entry.FullUrl] = "DocumentReference/" + existing.Id;
                return new AttemptResult(AttemptKind.Written, s.Written, s.RoundTrips);
            }
        }
        document.Context?.Related?.RemoveAll(r => r.Reference?.StartsWith("urn:", StringComparison.Ordinal) == true);
        using var response = await s.SendAsync(HttpMethod.Post, "DocumentReference", document, null, ct);
        var reference = await CreatedReference(s, response, ct)
            ?? throw new AttemptFailed(new AttemptResult(AttemptKind.Retry, s.Written, s.RoundTrips, "no location in the create answer", Ambiguous: true));
        s.Written[entry.FullUrl] = reference;
        return new AttemptResult(AttemptKind.Written, s.Written, s.RoundTrips);
    }

    /// <summary>
    /// An amendment is written: the DocumentReference it replaces becomes <c>superseded</c> (read, then updated with
    /// <c>If-Match</c>; idempotent, so a repeat after a lost answer changes nothing). Where the EHR refuses the update
    /// the amendment's <c>relatesTo</c> alone says it; the note stays written either way.
    /// </summary>
    private static async Task SupersedeAsync(Session s, CancellationToken ct)
    {
        var replaced = EntriesFor(s.Request.Plan, s.Request.Note).Select(e => e.Resource).OfType<DocumentReference>()
            .SelectMany(d => d.RelatesTo).Where(r => r.Code == DocumentRelationshipType.Replaces)
            .Select(r => r.Target?.Reference).OfType<string>().Where(r => r.StartsWith("DocumentReference/", StringComparison.Ordinal)).ToList();
        foreach (var reference in replaced)
        {
            try
            {
                using var read = await s.SendAsync(HttpMethod.Get, reference, null, null, ct);
                if (s.Parse(await read.Content.ReadAsStringAsync(ct)) is not DocumentReference original || original.Status == DocumentReferenceStatus.Superseded)
                    continue;
                original.Status = DocumentReferenceStatus.Superseded;
                using var _ = await s.SendAsync(HttpMethod.Put, reference, original, null, ct, ifMatch: read.Headers.ETag?.ToString());
            }
            catch (AttemptFailed)
            {
                // Refused or unanswered: the amendment's relatesTo still says which note it replaces.
            }
        }
    }

    /// <summary>Points <c>urn:uuid</c> references of earlier entries at what the EHR created for them.</summary>
    public static void RewriteReferences(Base node, IReadOnlyDictionary<string, string> map)
    {
        if (node is ResourceReference reference && reference.Reference is { } target && map.TryGetValue(target, out var real))
            reference.Reference = real;
        foreach (var (_, value) in node.EnumerateElements())
        {
            if (value is Base child)
                RewriteReferences(child, map);
            else if (value is System.Collections.IEnumerable list and not string)
                foreach (var item in list.OfType<Base>())
                    RewriteReferences(item, map);
        }
    }

    private static async Task<string?> CreatedReference(Session s, HttpResponseMessage response, CancellationToken ct)
    {
        var fromLocation = ReferenceFrom(response.Headers.Location?.ToString() ?? response.Content.Headers.ContentLocation?.ToString(), s.Request.Issuer);
        if (fromLocation is not null)
            return fromLocation;
        return s.Parse(await response.Content.ReadAsStringAsync(ct)) is { Id: not null } created ? $"{created.TypeName}/{created.Id}" : null;
    }

    /// <summary><c>{base}/Procedure/12/_history/1</c> or <c>Procedure/12</c> to <c>Procedure/12</c>.</summary>
    public static string? ReferenceFrom(string? location, string issuer)
    {
        if (string.IsNullOrWhiteSpace(location))
            return null;
        var path = location;
        var root = issuer.TrimEnd('/') + "/";
        if (path.StartsWith(root, StringComparison.OrdinalIgnoreCase))
            path = path[root.Length..];
        else if (Uri.TryCreate(path, UriKind.Absolute, out _))
            return null;
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 ? parts[0] + "/" + parts[1] : null;
    }

    /// <summary>
    /// True when a refusal is about the request's shape or size rather than the note: 405/501 (the interaction is not
    /// there), 413, a 404 for the transaction itself, an OperationOutcome with <c>not-supported</c> or <c>too-costly</c>,
    /// or one whose words name a bundle limit, too many entries, <c>transaction</c>, conditional create or an
    /// unsupported interaction. Anything else (a business rule on one resource) is about the content.
    /// </summary>
    public static bool IsShapeRefusal(int status, OperationOutcome? outcome, bool transaction)
    {
        if (status is 405 or 413 or 501 || (status == 404 && transaction))
            return true;
        if (status is not (400 or 403 or 404 or 409 or 412 or 422))
            return false;
        if (outcome is null)
            return false;
        if (outcome.Issue.Any(i => i.Code is OperationOutcome.IssueType.NotSupported or OperationOutcome.IssueType.TooCostly or OperationOutcome.IssueType.TooLong))
            return true;
        var words = string.Join(" ", outcome.Issue.Select(i => i.Diagnostics + " " + i.Details?.Text));
        return ShapeWords().IsMatch(words);
    }

    [GeneratedRegex(@"\b(bundle|too many|too large|entries|entry limit|transactions?|batch|conditional|if-none-exist|not supported|unsupported|interaction)\b", RegexOptions.IgnoreCase)]
    private static partial Regex ShapeWords();

    public static OperationOutcome LocalOutcome(OperationOutcome.IssueType type, string message) => new()
    {
        Issue = [new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Error, Code = type, Diagnostics = message }],
    };

    /// <summary>Ends an attempt early with its result.</summary>
    private sealed class AttemptFailed(AttemptResult result) : Exception("attempt failed")
    {
        public AttemptResult Result { get; } = result;
    }

    /// <summary>One attempt's HTTP state, on the gateway's client: the token goes to the issuer's base and nowhere else.</summary>
    private sealed class Session(HttpClient client, WriteRequest request, TimeSpan timeout, Func<string, Resource?> parse)
    {
        public WriteRequest Request { get; } = request;

        public Resource? Parse(string body) => string.IsNullOrWhiteSpace(body) ? null : parse(body);
        public Dictionary<string, string> Written { get; } = new(request.AlreadyWritten);
        public int RoundTrips { get; private set; }

        public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string relative, Resource? body, string? ifNoneExist, CancellationToken ct, bool transaction = false, string? ifMatch = null)
        {
            var url = Request.Issuer.TrimEnd('/') + (relative.Length > 0 ? "/" + relative : "");
            using var message = new HttpRequestMessage(method, url);
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
            if (body is not null)
            {
                message.Content = new StringContent(Serializer.SerializeToString(body), Encoding.UTF8, "application/fhir+json");
                message.Headers.TryAddWithoutValidation("Prefer", "return=representation");
            }
            if (ifNoneExist is not null)
                message.Headers.TryAddWithoutValidation("If-None-Exist", ifNoneExist);
            if (ifMatch is not null)
                message.Headers.TryAddWithoutValidation("If-Match", ifMatch);

            RoundTrips++;
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timer.CancelAfter(timeout);
            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead, timer.Token);
            }
            catch (Polly.CircuitBreaker.BrokenCircuitException) when (!ct.IsCancellationRequested)
            {
                // The gateway's breaker for this EHR is open: nothing was sent.
                throw new AttemptFailed(new AttemptResult(AttemptKind.Retry, Written, RoundTrips, "HTTP 503", Ambiguous: false));
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or TaskCanceledException or OperationCanceledException or IOException or TimeoutException or Polly.Timeout.TimeoutRejectedException)
            {
                // The request may have been processed: only a search or a conditional create can tell.
                throw new AttemptFailed(new AttemptResult(AttemptKind.Retry, Written, RoundTrips,
                    e is HttpRequestException ? "connection failed" : "timed out", Ambiguous: method != HttpMethod.Get));
            }
            if (response.IsSuccessStatusCode)
                return response;

            using (response)
            {
                var status = (int)response.StatusCode;
                var text = await response.Content.ReadAsStringAsync(ct);
                var outcome = Parse(text) as OperationOutcome;
                if (IsShapeRefusal(status, outcome, transaction))
                {
                    throw new AttemptFailed(new AttemptResult(AttemptKind.ShapeRefused, Written, RoundTrips, $"HTTP {status}",
                        Outcome: outcome ?? LocalOutcome(OperationOutcome.IssueType.NotSupported, $"The EHR does not take this kind of request (HTTP {status}).")));
                }
                var reason = $"HTTP {status}";
                if (status == (int)HttpStatusCode.Unauthorized)
                    throw new AttemptFailed(new AttemptResult(AttemptKind.Unauthorized, Written, RoundTrips, reason));
                if (status is 408 or 429 or 409 or >= 500)
                {
                    throw new AttemptFailed(new AttemptResult(AttemptKind.Retry, Written, RoundTrips, reason, RetryAfter(response),
                        Ambiguous: method != HttpMethod.Get && status is not (429 or 503)));
                }
                throw new AttemptFailed(new AttemptResult(AttemptKind.Refused, Written, RoundTrips, reason,
                    Outcome: outcome ?? LocalOutcome(OperationOutcome.IssueType.Processing, $"The EHR refused the note ({reason}) without saying why.")));
            }
        }

        private static TimeSpan? RetryAfter(HttpResponseMessage response)
        {
            var header = response.Headers.RetryAfter;
            if (header?.Delta is { } delta)
                return delta;
            if (header?.Date is { } date)
                return date - DateTimeOffset.UtcNow;
            return null;
        }
    }
}
