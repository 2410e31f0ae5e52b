using System.Collections;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.WebUtilities;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace Sandbox.Ehr.Fhir;

public sealed partial class FhirEngine
{
    /// <summary>A <c>transaction</c> (all or nothing) or <c>batch</c> (each entry on its own) Bundle.</summary>
    public FhirResult ProcessBundle(DbSession session, CallContext context, Bundle bundle)
    {
        if (bundle.Type is not (Bundle.BundleType.Transaction or Bundle.BundleType.Batch))
        {
            return FhirResult.Error(400, IssueType.Invalid, "Only Bundles of type transaction or batch can be posted to the base URL.");
        }
        if (context.EnforceMode && options.Mode == EhrMode.EpicLike)
        {
            return FhirResult.Error(405, IssueType.NotSupported, "Transaction and batch Bundles are not supported by this server (epic-like mode).");
        }
        if (context.EnforceMode && bundle.Type == Bundle.BundleType.Transaction && options.MaxConditionalEntries > 0
            && bundle.Entry.Count(e => !string.IsNullOrEmpty(e.Request?.IfNoneExist)) is var conditional && conditional > options.MaxConditionalEntries)
        {
            // As an independent server does (Sandbox:Fhir:MaxConditionalEntries): a limit on the request's size, not its content.
            return FhirResult.Error(400, IssueType.TooCostly,
                $"Transaction has too many entries: at most {options.MaxConditionalEntries} conditional entries are allowed, this one has {conditional}.");
        }
        return bundle.Type == Bundle.BundleType.Transaction ? Transaction(session, context, bundle) : Batch(session, context, bundle);
    }

    private sealed record PlannedEntry(int Index, Bundle.EntryComponent Entry, Bundle.HTTPVerb Method, string Type, string? Id, string? VersionId, string? Query)
    {
        public StoredResource? ConditionalMatch { get; set; }
    }

    private FhirResult Transaction(DbSession session, CallContext context, Bundle bundle)
    {
        var plans = new List<PlannedEntry>();
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            var (plan, error) = Plan(i, bundle.Entry[i]);
            if (error is not null)
            {
                return error;
            }
            plans.Add(plan!);
        }

        // Identities first, so that urn:uuid references anywhere in the Bundle can be rewritten
        // before anything is stored.
        var identities = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < plans.Count; i++)
        {
            var plan = plans[i];
            if (plan.Method == Bundle.HTTPVerb.POST)
            {
                var ifNoneExist = plan.Entry.Request!.IfNoneExist;
                string id;
                if (ifNoneExist is not null)
                {
                    var matches = MatchConditional(session, context, plan.Type, ifNoneExist);
                    if (matches.Error is not null)
                    {
                        return EntryError(plan, matches.Error);
                    }
                    if (matches.Rows.Count > 1)
                    {
                        return EntryError(plan, FhirResult.Error(412, IssueType.MultipleMatches, $"ifNoneExist matched {matches.Rows.Count} {plan.Type} resources."));
                    }
                    plan.ConditionalMatch = matches.Rows.Count == 1 ? matches.Rows[0] : null;
                }
                id = plan.ConditionalMatch?.Id ?? Guid.NewGuid().ToString("D");
                plans[i] = plan with { Id = id };
            }
        }
        foreach (var plan in plans)
        {
            if (plan.Entry.FullUrl is { Length: > 0 } fullUrl && plan.Id is not null && plan.Method is Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT)
            {
                identities[fullUrl] = $"{plan.Type}/{plan.Id}";
            }
        }
        foreach (var plan in plans)
        {
            if (plan.Entry.Resource is { } resource)
            {
                foreach (var node in Descendants(resource).ToList())
                {
                    if (node is ResourceReference { Reference: { } target } reference)
                    {
                        if (identities.TryGetValue(target, out var resolved))
                        {
                            reference.Reference = resolved;
                        }
                        else if (target.StartsWith("urn:uuid:", StringComparison.Ordinal))
                        {
                            return EntryError(plan, FhirResult.Error(400, IssueType.NotFound, $"Reference '{target}' names no entry of this transaction."));
                        }
                        else if (ConditionalReference(session, context, target) is { } conditional)
                        {
                            if (conditional.Error is not null)
                            {
                                return EntryError(plan, conditional.Error);
                            }
                            reference.Reference = conditional.Resolved;
                        }
                    }
                    else if (node is FhirUri or FhirUrl or Canonical && node is PrimitiveType { JsonValue: string uri } primitive && identities.TryGetValue(uri, out var resolvedUri))
                    {
                        // uri/url elements that name another entry (an attachment's Binary, say) follow it too.
                        primitive.JsonValue = resolvedUri;
                    }
                }
            }
        }

        var results = new FhirResult[plans.Count];
        var order = plans.OrderBy(p => p.Method switch
        {
            Bundle.HTTPVerb.DELETE => 0,
            Bundle.HTTPVerb.POST => 1,
            Bundle.HTTPVerb.PUT => 2,
            _ => 3,
        }).ThenBy(p => p.Index);
        foreach (var plan in order)
        {
            var result = plan.ConditionalMatch is { } match
                ? (context.Policy is null || AllowedToRead(session, context, match) ? Ok(200, match, write: true) : Forbidden(plan.Type, "read"))
                : Execute(session, context, plan, ifNoneExistHandled: true);
            if (result.IsError)
            {
                return EntryError(plan, result);
            }
            results[plan.Index] = result;
        }
        return new FhirResult { Status = 200, Resource = ResponseBundle(Bundle.BundleType.TransactionResponse, context, results) };
    }

    /// <summary>A conditional reference (<c>Patient?identifier=s|v</c>) becomes Type/id when exactly one resource matches.</summary>
    private static (string? Resolved, FhirResult? Error)? ConditionalReference(DbSession session, CallContext context, string target)
    {
        var question = target.IndexOf('?', StringComparison.Ordinal);
        if (question <= 0 || !IsKnownType(target[..question]))
        {
            return null;
        }
        var type = target[..question];
        var matches = MatchConditional(session, context, type, target[question..]);
        if (matches.Error is not null)
        {
            return (null, matches.Error);
        }
        return matches.Rows.Count == 1
            ? ($"{type}/{matches.Rows[0].Id}", null)
            : (null, FhirResult.Error(412, IssueType.MultipleMatches, $"Conditional reference '{target}' matched {matches.Rows.Count} resources (exactly one is needed)."));
    }

    private FhirResult Batch(DbSession session, CallContext context, Bundle bundle)
    {
        var results = new FhirResult[bundle.Entry.Count];
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            var (plan, error) = Plan(i, bundle.Entry[i]);
            if (error is not null)
            {
                results[i] = error;
                continue;
            }
            var savepoint = "entry" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            session.Save(savepoint);
            var result = Execute(session, context, plan!, ifNoneExistHandled: false);
            if (result.IsError)
            {
                session.RollbackTo(savepoint);
            }
            session.Release(savepoint);
            results[i] = result;
        }
        return new FhirResult { Status = 200, Resource = ResponseBundle(Bundle.BundleType.BatchResponse, context, results) };
    }

    private FhirResult Execute(DbSession session, CallContext context, PlannedEntry plan, bool ifNoneExistHandled)
    {
        var resource = plan.Entry.Resource;
        switch (plan.Method)
        {
            case Bundle.HTTPVerb.POST when resource is not null:
                return Create(session, context, plan.Type, resource, ifNoneExistHandled ? null : plan.Entry.Request!.IfNoneExist, plan.Id);
            case Bundle.HTTPVerb.PUT when resource is not null && plan.Id is not null:
                return Update(session, context, plan.Type, plan.Id, resource, plan.Entry.Request!.IfMatch);
            case Bundle.HTTPVerb.DELETE when plan.Id is not null:
                return Delete(session, context, plan.Type, plan.Id);
            case Bundle.HTTPVerb.GET when plan.Id is not null && plan.VersionId is not null:
                return VRead(session, context, plan.Type, plan.Id, plan.VersionId);
            case Bundle.HTTPVerb.GET when plan.Id is not null:
                return Read(session, context, plan.Type, plan.Id);
            case Bundle.HTTPVerb.GET:
                var query = QueryHelpers.ParseQuery(plan.Query ?? "")
                    .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? ""))).ToList();
                return Search(session, context, plan.Type, query);
            default:
                return FhirResult.Error(400, IssueType.Invalid, $"{plan.Method} {plan.Entry.Request!.Url} is not a supported Bundle entry (a resource is needed for POST and PUT).");
        }
    }

    private static (PlannedEntry? Plan, FhirResult? Error) Plan(int index, Bundle.EntryComponent entry)
    {
        if (entry.Request?.Method is not { } method || string.IsNullOrWhiteSpace(entry.Request.Url))
        {
            return (null, FhirResult.Error(400, IssueType.Required, $"Entry {index} has no request method and url."));
        }
        var url = entry.Request.Url.Trim();
        string? query = null;
        var question = url.IndexOf('?', StringComparison.Ordinal);
        if (question >= 0)
        {
            query = url[question..];
            url = url[..question];
        }
        var segments = url.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var typeIndex = Array.FindLastIndex(segments, s => IsKnownType(s) && s != "_history");
        if (segments.Length > 0 && segments[^1] == "_history" || typeIndex < 0 || segments.Length - typeIndex > 4)
        {
            return (null, FhirResult.Error(400, IssueType.Invalid, $"Entry {index}: '{entry.Request.Url}' is not a resource URL this server understands."));
        }
        var type = segments[typeIndex];
        var id = segments.Length > typeIndex + 1 ? segments[typeIndex + 1] : null;
        var version = segments.Length == typeIndex + 4 && segments[typeIndex + 2] == "_history" ? segments[typeIndex + 3] : null;
        if (method is Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.DELETE && (id is null || query is not null))
        {
            return (null, FhirResult.Error(400, IssueType.NotSupported, $"Entry {index}: conditional {method} is not supported; name the resource as Type/id."));
        }
        if (method is Bundle.HTTPVerb.PATCH or Bundle.HTTPVerb.HEAD)
        {
            return (null, FhirResult.Error(405, IssueType.NotSupported, $"Entry {index}: {method} is not supported."));
        }
        if (method == Bundle.HTTPVerb.POST && (id is not null || entry.Resource is null))
        {
            return (null, FhirResult.Error(400, IssueType.Invalid, $"Entry {index}: POST needs a resource and a type-level URL."));
        }
        return (new PlannedEntry(index, entry, method, type, id, version, query), null);
    }

    private static FhirResult EntryError(PlannedEntry plan, FhirResult error)
    {
        if (error.Resource is OperationOutcome outcome)
        {
            foreach (var issue in outcome.Issue)
            {
                issue.Diagnostics = $"Entry {plan.Index} ({plan.Method} {plan.Entry.Request!.Url}): {issue.Diagnostics}";
                issue.Expression = [$"Bundle.entry[{plan.Index}]"];
            }
        }
        return error;
    }

    private static Bundle ResponseBundle(Bundle.BundleType type, CallContext context, FhirResult[] results)
    {
        var bundle = new Bundle { Type = type };
        foreach (var result in results)
        {
            var entry = new Bundle.EntryComponent
            {
                Response = new Bundle.ResponseComponent
                {
                    Status = FhirResult.ReasonPhrase(result.Status),
                    Location = result.Location is null ? null : $"{context.BaseUrl}/{result.Location}",
                    Etag = result.VersionId is { } version ? ETag(version) : null,
                    LastModified = result.LastModified,
                },
            };
            if (result.IsError)
            {
                entry.Response.Outcome = result.Resource;
            }
            else if (result.Resource is { } resource)
            {
                entry.Resource = resource;
                if (resource.Id is not null && resource is not Bundle)
                {
                    entry.FullUrl = $"{context.BaseUrl}/{resource.TypeName}/{resource.Id}";
                }
            }
            bundle.Entry.Add(entry);
        }
        return bundle;
    }

    /// <summary>Every element below <paramref name="node"/>, contained resources included.</summary>
    public static IEnumerable<Base> Descendants(Base node)
    {
        foreach (var (_, value) in node.EnumerateElements())
        {
            if (value is Base child)
            {
                yield return child;
                foreach (var below in Descendants(child))
                {
                    yield return below;
                }
            }
            else if (value is IEnumerable list and not string)
            {
                foreach (var item in list.OfType<Base>())
                {
                    yield return item;
                    foreach (var below in Descendants(item))
                    {
                        yield return below;
                    }
                }
            }
        }
    }
}
