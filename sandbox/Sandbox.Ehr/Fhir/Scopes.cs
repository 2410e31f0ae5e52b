using Microsoft.AspNetCore.WebUtilities;
using Sandbox.Ehr.Auth;

namespace Sandbox.Ehr.Fhir;

/// <summary>SMART v2 permissions; v1 <c>read</c> is r+s and <c>write</c> is c+u+d.</summary>
[Flags]
public enum ScopePermissions
{
    None = 0,
    Create = 1,
    Read = 2,
    Update = 4,
    Delete = 8,
    Search = 16,
    All = Create | Read | Update | Delete | Search,
}

public enum ScopeContext
{
    Patient,
    User,
    System,
}

/// <summary>One SMART resource scope: <c>patient/Condition.rs</c>, <c>user/*.write</c>, <c>patient/Observation.rs?category=laboratory</c>.</summary>
/// <param name="ResourceType">A resource type, or <c>*</c>.</param>
/// <param name="Restriction">v2 search parameters that a resource must match to be reached.</param>
public sealed record SmartScope(ScopeContext Context, string ResourceType, ScopePermissions Permissions, IReadOnlyList<KeyValuePair<string, string>> Restriction)
{
    /// <summary>Parses a resource scope; <c>openid</c>, <c>launch</c> and malformed scopes give false.</summary>
    public static bool TryParse(string? scope, out SmartScope result)
    {
        result = null!;
        if (string.IsNullOrWhiteSpace(scope))
        {
            return false;
        }
        var text = scope.Trim();
        // v1 allowed a bare "*.*"-style scope without a context in some servers; treat it as user/.
        if (!text.Contains('/', StringComparison.Ordinal))
        {
            text = "user/" + text;
        }
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        ScopeContext? context = text[..slash] switch
        {
            "patient" => ScopeContext.Patient,
            "user" => ScopeContext.User,
            "system" => ScopeContext.System,
            _ => null,
        };
        if (context is null)
        {
            return false;
        }
        var rest = text[(slash + 1)..];
        var restriction = new List<KeyValuePair<string, string>>();
        var question = rest.IndexOf('?', StringComparison.Ordinal);
        if (question >= 0)
        {
            foreach (var (key, values) in QueryHelpers.ParseQuery(rest[question..]))
            {
                foreach (var value in values)
                {
                    restriction.Add(new(key, value ?? ""));
                }
            }
            rest = rest[..question];
        }
        var dot = rest.LastIndexOf('.');
        if (dot <= 0)
        {
            return false;
        }
        var type = rest[..dot];
        if (type != "*" && !Hl7.Fhir.Model.ModelInfo.IsKnownResource(type))
        {
            return false;
        }
        var permissions = ParsePermissions(rest[(dot + 1)..]);
        if (permissions == ScopePermissions.None)
        {
            return false;
        }
        result = new SmartScope(context.Value, type, permissions, restriction);
        return true;
    }

    private static ScopePermissions ParsePermissions(string text)
    {
        switch (text)
        {
            case "read":
                return ScopePermissions.Read | ScopePermissions.Search;
            case "write":
                return ScopePermissions.Create | ScopePermissions.Update | ScopePermissions.Delete;
            case "*":
                return ScopePermissions.All;
        }
        // v2: a non-empty subset of c, r, u, d, s in that order.
        const string order = "cruds";
        var permissions = ScopePermissions.None;
        var last = -1;
        foreach (var c in text)
        {
            var position = order.IndexOf(c, StringComparison.Ordinal);
            if (position <= last)
            {
                return ScopePermissions.None;
            }
            last = position;
            permissions |= (ScopePermissions)(1 << position);
        }
        return permissions;
    }
}

/// <summary>One way a request may reach resources: inside a patient's compartment and/or matching a v2 restriction.</summary>
public sealed record AccessAlternative(string? PatientId, IReadOnlyList<KeyValuePair<string, string>> Restriction);

/// <summary>The outcome of checking the scopes for one interaction on one resource type.</summary>
/// <param name="Alternatives">Null: every resource of the type; otherwise a resource must match one of them.</param>
public sealed record AccessDecision(bool Allowed, string? Reason, IReadOnlyList<AccessAlternative>? Alternatives)
{
    public static readonly AccessDecision Unrestricted = new(true, null, null);
}

/// <summary>What a token's scopes allow, decided per resource type and interaction.</summary>
public sealed class AccessPolicy
{
    private readonly List<SmartScope> _scopes;

    public AccessPolicy(SmartAccess access)
    {
        Access = access;
        _scopes = [];
        foreach (var text in access.Scopes.SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
        {
            if (SmartScope.TryParse(text, out var scope))
            {
                _scopes.Add(scope);
            }
        }
    }

    public SmartAccess Access { get; }

    public AccessDecision Decide(string resourceType, ScopePermissions needed)
    {
        var alternatives = new List<AccessAlternative>();
        var patientScopeWithoutPatient = false;
        foreach (var scope in _scopes)
        {
            if ((scope.ResourceType != "*" && scope.ResourceType != resourceType) || (scope.Permissions & needed) != needed)
            {
                continue;
            }
            string? patient = null;
            if (scope.Context == ScopeContext.Patient)
            {
                if (string.IsNullOrEmpty(Access.PatientId))
                {
                    patientScopeWithoutPatient = true;
                    continue;
                }
                patient = Access.PatientId;
            }
            if (patient is null && scope.Restriction.Count == 0)
            {
                return AccessDecision.Unrestricted;
            }
            alternatives.Add(new AccessAlternative(patient, scope.Restriction));
        }
        if (alternatives.Count > 0)
        {
            return new AccessDecision(true, null, alternatives);
        }
        var reason = patientScopeWithoutPatient
            ? $"The token has patient/ scopes for {resourceType} but no launch patient."
            : $"The granted scopes do not permit '{Describe(needed)}' on {resourceType}.";
        return new AccessDecision(false, reason, null);
    }

    private static string Describe(ScopePermissions needed) => needed switch
    {
        ScopePermissions.Create => "create (c)",
        ScopePermissions.Read => "read (r)",
        ScopePermissions.Update => "update (u)",
        ScopePermissions.Delete => "delete (d)",
        ScopePermissions.Search => "search (s)",
        _ => needed.ToString(),
    };
}
