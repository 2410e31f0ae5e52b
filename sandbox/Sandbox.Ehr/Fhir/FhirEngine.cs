using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.WebUtilities;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace Sandbox.Ehr.Fhir;

/// <summary>
/// The FHIR interactions, each run inside one <see cref="DbSession"/>. The HTTP endpoints, the
/// Bundle processor and the in-process <see cref="IFhirStore"/> all come through here, so every
/// path enforces the same scopes and mode rules.
/// </summary>
public sealed partial class FhirEngine(FhirServerOptions options, FhirRepository repository, EhrModeRules modeRules)
{
    public FhirServerOptions Options => options;

    public static bool IsKnownType(string type) => ModelInfo.IsKnownResource(type) && type is not ("Resource" or "DomainResource");

    public static bool IsValidId(string? id) => id is not null && IdPattern().IsMatch(id);

    public FhirResult Read(DbSession session, CallContext context, string type, string id)
    {
        if (Precheck(context, type, ScopePermissions.Read, out var decision) is { } refused)
        {
            return refused;
        }
        var row = repository.Current(session, type, id);
        if (row is null)
        {
            return FhirResult.Error(404, IssueType.NotFound, $"{type}/{id} is not known.");
        }
        if (row.Deleted)
        {
            // That it was deleted is told only to a token that could read what was deleted.
            return PermitsVersion(session, decision, row, LastContent(session, row))
                ? FhirResult.Error(410, IssueType.Deleted, $"{type}/{id} was deleted.")
                : Forbidden(type, "read");
        }
        if (!Permits(session, decision, type, row.Rid))
        {
            return Forbidden(type, "read");
        }
        return Ok(200, row, write: false);
    }

    public FhirResult VRead(DbSession session, CallContext context, string type, string id, string versionText)
    {
        if (Precheck(context, type, ScopePermissions.Read, out var decision) is { } refused)
        {
            return refused;
        }
        var row = repository.Current(session, type, id);
        if (row is null || !int.TryParse(versionText, out var version))
        {
            return FhirResult.Error(404, IssueType.NotFound, $"{type}/{id}/_history/{versionText} is not known.");
        }
        var versions = repository.History(session, row);
        var index = versions.ToList().FindIndex(v => v.Version == version);
        if (index < 0)
        {
            return PermitsVersion(session, decision, row, row.Deleted ? LastContent(session, row) : row)
                ? FhirResult.Error(404, IssueType.NotFound, $"{type}/{id}/_history/{versionText} is not known.")
                : Forbidden(type, "read");
        }
        // Each version is checked on its own content: a deletion by the content it deleted.
        var old = versions[index];
        var content = old.Deleted ? versions.Skip(index + 1).FirstOrDefault(v => !v.Deleted) : old;
        if (!PermitsVersion(session, decision, row, content))
        {
            return Forbidden(type, "read");
        }
        return old.Deleted ? FhirResult.Error(410, IssueType.Deleted, $"Version {version} of {type}/{id} is a deletion.") : Ok(200, old, write: false);
    }

    public FhirResult History(DbSession session, CallContext context, string type, string id)
    {
        if (Precheck(context, type, ScopePermissions.Read, out var decision) is { } refused)
        {
            return refused;
        }
        var row = repository.Current(session, type, id);
        if (row is null)
        {
            return FhirResult.Error(404, IssueType.NotFound, $"{type}/{id} is not known.");
        }
        // Every version is checked against the token, oldest first: a deletion goes with the content it deleted.
        var versions = new List<StoredResource>();
        var contentPermitted = false;
        foreach (var version in repository.History(session, row).Reverse())
        {
            if (!version.Deleted)
            {
                contentPermitted = PermitsVersion(session, decision, row, version);
            }
            if (contentPermitted)
            {
                versions.Insert(0, version);
            }
        }
        if (versions.Count == 0)
        {
            return Forbidden(type, "read");
        }
        var bundle = new Bundle { Type = Bundle.BundleType.History, Total = versions.Count };
        bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = $"{context.BaseUrl}/{type}/{id}/_history" });
        foreach (var version in versions)
        {
            var entry = new Bundle.EntryComponent
            {
                FullUrl = $"{context.BaseUrl}/{type}/{id}",
                Request = new Bundle.RequestComponent
                {
                    Method = version.Deleted ? Bundle.HTTPVerb.DELETE : version.Version == 1 ? Bundle.HTTPVerb.POST : Bundle.HTTPVerb.PUT,
                    Url = version.Version == 1 ? type : $"{type}/{id}",
                },
                Response = new Bundle.ResponseComponent
                {
                    Status = version.Deleted ? "204 No Content" : version.Version == 1 ? "201 Created" : "200 OK",
                    Etag = ETag(version.Version),
                    LastModified = version.LastUpdated,
                },
            };
            if (!version.Deleted)
            {
                entry.Resource = FhirRepository.ToResource(version);
            }
            bundle.Entry.Add(entry);
        }
        return new FhirResult { Status = 200, Resource = bundle };
    }

    public FhirResult Create(DbSession session, CallContext context, string type, Resource resource, string? ifNoneExist, string? assignedId = null)
    {
        if (Precheck(context, type, ScopePermissions.Create, out var decision) is { } refused)
        {
            return refused;
        }
        if (resource.TypeName != type)
        {
            return FhirResult.Error(400, IssueType.Invalid, $"The body is a {resource.TypeName}, but the URL names {type}.");
        }
        if (NarrativeRefusal(context, resource) is { } badNarrative)
        {
            return badNarrative;
        }
        if (ifNoneExist is not null)
        {
            if (context.EnforceMode && options.Mode == EhrMode.EpicLike)
            {
                return FhirResult.Error(400, IssueType.NotSupported, "Conditional create (If-None-Exist) is not supported by this server (epic-like mode).");
            }
            var matches = MatchConditional(session, context, type, ifNoneExist);
            if (matches.Error is not null)
            {
                return matches.Error;
            }
            if (matches.Rows.Count > 1)
            {
                return FhirResult.Error(412, IssueType.MultipleMatches, $"If-None-Exist matched {matches.Rows.Count} {type} resources.");
            }
            if (matches.Rows.Count == 1)
            {
                var existing = matches.Rows[0];
                if (context.Policy is not null && !AllowedToRead(session, context, existing))
                {
                    return Forbidden(type, "read");
                }
                return Ok(200, existing, write: true);
            }
        }
        if (context.EnforceMode && modeRules.CheckCreate(session, context, resource) is { } modeRefusal)
        {
            return modeRefusal;
        }
        var id = assignedId ?? Guid.NewGuid().ToString("D");
        var row = repository.Write(session, type, id, resource, existing: null);
        if (!Permits(session, decision, type, row.Rid, write: true))
        {
            return Forbidden(type, "create (outside the granted patient or restriction)");
        }
        return Ok(201, row, write: true);
    }

    public FhirResult Update(DbSession session, CallContext context, string type, string id, Resource resource, string? ifMatch)
    {
        if (!IsKnownType(type))
        {
            return UnknownType(type);
        }
        if (resource.TypeName != type)
        {
            return FhirResult.Error(400, IssueType.Invalid, $"The body is a {resource.TypeName}, but the URL names {type}.");
        }
        if (string.IsNullOrEmpty(resource.Id))
        {
            return FhirResult.Error(400, IssueType.Required, "An update needs the resource id in the body.");
        }
        if (resource.Id != id)
        {
            return FhirResult.Error(400, IssueType.Invalid, $"The body's id '{resource.Id}' does not match the URL's id '{id}'.");
        }
        if (!IsValidId(id))
        {
            return FhirResult.Error(400, IssueType.Invalid, "A FHIR id is 1 to 64 letters, digits, '-' or '.'.");
        }
        if (NarrativeRefusal(context, resource) is { } badNarrative)
        {
            return badNarrative;
        }
        var existing = repository.Current(session, type, id);
        var creates = existing is null || existing.Deleted;
        if (Precheck(context, type, creates ? ScopePermissions.Create : ScopePermissions.Update, out var decision) is { } refused)
        {
            return refused;
        }
        // What is replaced must be the token's to write too: a resource that also names another patient is not.
        if (!creates && !Permits(session, decision, type, existing!.Rid, write: true))
        {
            return Forbidden(type, "update");
        }
        if (ifMatch is not null)
        {
            var expected = ParseETag(ifMatch);
            if (creates || expected is null || expected != existing!.Version)
            {
                return FhirResult.Error(412, IssueType.Conflict, $"If-Match {ifMatch} does not match the current version of {type}/{id}.");
            }
        }
        if (creates && context.EnforceMode && modeRules.CheckCreate(session, context, resource) is { } modeRefusal)
        {
            return modeRefusal;
        }
        var row = repository.Write(session, type, id, resource, existing);
        if (!Permits(session, decision, type, row.Rid, write: true))
        {
            return Forbidden(type, "update (outside the granted patient or restriction)");
        }
        return Ok(creates ? 201 : 200, row, write: true);
    }

    public FhirResult Delete(DbSession session, CallContext context, string type, string id)
    {
        if (Precheck(context, type, ScopePermissions.Delete, out var decision) is { } refused)
        {
            return refused;
        }
        var existing = repository.Current(session, type, id);
        if (existing is null)
        {
            return FhirResult.Error(404, IssueType.NotFound, $"{type}/{id} is not known.");
        }
        if (existing.Deleted)
        {
            return new FhirResult { Status = 204, IsWrite = true };
        }
        if (!Permits(session, decision, type, existing.Rid, write: true))
        {
            return Forbidden(type, "delete");
        }
        var row = repository.Delete(session, existing);
        return new FhirResult { Status = 204, VersionId = row.Version, LastModified = row.LastUpdated, IsWrite = true };
    }

    /// <summary>Narrative that breaks the FHIR narrative rules is refused from clients (the trusted seed is not checked).</summary>
    private static FhirResult? NarrativeRefusal(CallContext context, Resource resource) =>
        context.Policy is not null && NarrativeRules.Problem(resource) is { } problem
            ? FhirResult.Error(400, IssueType.Invalid, problem)
            : null;

    /// <summary>Scope check for <paramref name="needed"/> on <paramref name="type"/>; a refusal or null.</summary>
    private static FhirResult? Precheck(CallContext context, string type, ScopePermissions needed, out AccessDecision decision)
    {
        decision = AccessDecision.Unrestricted;
        if (!IsKnownType(type))
        {
            return UnknownType(type);
        }
        if (context.Policy is null)
        {
            return null;
        }
        decision = context.Policy.Decide(type, needed);
        return decision.Allowed ? null : FhirResult.Error(403, IssueType.Forbidden, decision.Reason ?? "Forbidden.");
    }

    private static bool AllowedToRead(DbSession session, CallContext context, StoredResource row)
    {
        if (context.Policy is null)
        {
            return true;
        }
        var decision = context.Policy.Decide(row.Type, ScopePermissions.Read);
        return decision.Allowed && Permits(session, decision, row.Type, row.Rid);
    }

    /// <summary>
    /// Whether the stored resource <paramref name="rid"/> is inside what <paramref name="decision"/>
    /// reaches. For a <paramref name="write"/> through a patient compartment, the resource must also
    /// name no other patient through any compartment reference.
    /// </summary>
    public static bool Permits(DbSession session, AccessDecision decision, string type, long rid, bool write = false)
    {
        if (decision.Alternatives is null)
        {
            return true;
        }
        var where = new SqlWhere();
        where.And("r.rid = " + where.Param(rid));
        where.And(AccessFilter(where, type, decision.Alternatives, write));
        return Convert.ToInt64(session.Scalar($"SELECT EXISTS (SELECT 1 FROM resource r WHERE {where.Text})", [.. where.Parameters]), System.Globalization.CultureInfo.InvariantCulture) == 1;
    }

    /// <summary>
    /// Whether the token may read <paramref name="version"/> of <paramref name="current"/>: the
    /// current version through the index; an older one, or what a deleted resource last held, by
    /// indexing that version for the check inside a savepoint that is then rolled back.
    /// </summary>
    private bool PermitsVersion(DbSession session, AccessDecision decision, StoredResource current, StoredResource? version)
    {
        if (decision.Alternatives is null)
        {
            return true;
        }
        if (version is null || version.Deleted)
        {
            return false;
        }
        if (!current.Deleted && version.Version == current.Version)
        {
            return Permits(session, decision, current.Type, current.Rid);
        }
        const string Savepoint = "version_access";
        session.Save(Savepoint);
        try
        {
            repository.Reindex(session, current.Rid, current.Type, FhirRepository.ToResource(version));
            return Permits(session, decision, current.Type, current.Rid);
        }
        finally
        {
            session.RollbackTo(Savepoint);
            session.Release(Savepoint);
        }
    }

    /// <summary>The newest version of <paramref name="row"/> that holds content (what a deletion deleted).</summary>
    private StoredResource? LastContent(DbSession session, StoredResource row) =>
        repository.History(session, row).FirstOrDefault(v => !v.Deleted);

    /// <summary>
    /// SQL for "inside one of the alternatives": the patient compartment (the resource is the
    /// patient, or one of its R4 Patient compartment references points at the patient, see
    /// <see cref="PatientCompartment"/>) and the v2 restriction. With <paramref name="write"/>, no
    /// compartment reference may point at another patient.
    /// </summary>
    public static string AccessFilter(SqlWhere where, string type, IReadOnlyList<AccessAlternative> alternatives, bool write = false)
    {
        var parts = new List<string>();
        foreach (var alternative in alternatives)
        {
            var conditions = new List<string>();
            if (alternative.PatientId is not null)
            {
                var compartmentParams = string.Join(", ", PatientCompartment.Params(type).Select(where.Param));
                var patient = where.Param(alternative.PatientId);
                var typeParam = where.Param(type);
                conditions.Add(type == "Patient"
                    ? $"r.id = {patient}"
                    : $"r.rid IN (SELECT rid FROM idx_ref WHERE type = {typeParam} AND param IN ({compartmentParams}) AND target_type = 'Patient' AND target_id = {patient})");
                if (write)
                {
                    conditions.Add($"NOT EXISTS (SELECT 1 FROM idx_ref o WHERE o.rid = r.rid AND o.param IN ({compartmentParams}) AND o.target_type = 'Patient' AND o.target_id <> {patient})");
                }
            }
            try
            {
                foreach (var (key, value) in alternative.Restriction)
                {
                    var colon = key.IndexOf(':', StringComparison.Ordinal);
                    var criterion = colon < 0 ? new SearchCriterion(key, null, value) : new SearchCriterion(key[..colon], key[(colon + 1)..], value);
                    conditions.Add(where.Criterion(type, criterion));
                }
            }
            catch (SearchException)
            {
                // A restriction this type cannot evaluate reaches nothing of this type.
                conditions.Add("0");
            }
            parts.Add(conditions.Count == 0 ? "1" : string.Join(" AND ", conditions.Select(c => "(" + c + ")")));
        }
        return parts.Count == 0 ? "0" : string.Join(" OR ", parts.Select(p => "(" + p + ")"));
    }

    /// <summary>
    /// The resources a conditional create or reference matches, among those the caller may read:
    /// the answer never tells a token about resources outside its reach.
    /// </summary>
    private static (IReadOnlyList<StoredResource> Rows, FhirResult? Error) MatchConditional(DbSession session, CallContext context, string type, string query)
    {
        var where = new SqlWhere();
        if (context.Policy is not null)
        {
            var read = context.Policy.Decide(type, ScopePermissions.Read);
            if (!read.Allowed)
            {
                return ([], FhirResult.Error(403, IssueType.Forbidden, $"A conditional match on {type} needs read access to {type}: {read.Reason}"));
            }
            if (read.Alternatives is not null)
            {
                where.And(AccessFilter(where, type, read.Alternatives));
            }
        }
        var criteria = new List<SearchCriterion>();
        try
        {
            foreach (var (key, values) in QueryHelpers.ParseQuery(query.StartsWith('?') ? query : "?" + query))
            {
                foreach (var value in values)
                {
                    var colon = key.IndexOf(':', StringComparison.Ordinal);
                    criteria.Add(colon < 0 ? new SearchCriterion(key, null, value ?? "") : new SearchCriterion(key[..colon], key[(colon + 1)..], value ?? ""));
                }
            }
            if (criteria.Count > 0)
            {
                where.AddCriteria(type, criteria);
            }
        }
        catch (SearchException e)
        {
            return ([], FhirResult.Error(400, IssueType.Invalid, "If-None-Exist: " + e.Message));
        }
        if (criteria.Count == 0)
        {
            return ([], FhirResult.Error(400, IssueType.Invalid, "If-None-Exist has no search parameters."));
        }
        using var command = session.Command($"SELECT {FhirRepository.Columns} FROM resource r WHERE {where.Text} LIMIT 2", [.. where.Parameters]);
        using var reader = command.ExecuteReader();
        var rows = new List<StoredResource>();
        while (reader.Read())
        {
            rows.Add(FhirRepository.ReadRow(reader));
        }
        return (rows, null);
    }

    public static FhirResult Ok(int status, StoredResource row, bool write) => new()
    {
        Status = status,
        Resource = FhirRepository.ToResource(row),
        VersionId = row.Version,
        LastModified = row.LastUpdated,
        Location = $"{row.Type}/{row.Id}/_history/{row.Version}",
        IsWrite = write,
    };

    public static string ETag(int version) => $"W/\"{version}\"";

    public static int? ParseETag(string value)
    {
        var text = value.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }
        return int.TryParse(text.Trim('"'), out var version) ? version : null;
    }

    private static FhirResult Forbidden(string type, string what) =>
        FhirResult.Error(403, IssueType.Forbidden, $"The granted scopes do not reach this {type} ({what}).");

    private static FhirResult UnknownType(string type) =>
        FhirResult.Error(404, IssueType.NotSupported, $"'{type}' is not an R4 resource type.");

    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$")]
    private static partial Regex IdPattern();
}
