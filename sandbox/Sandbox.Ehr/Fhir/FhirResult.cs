using Hl7.Fhir.Model;

namespace Sandbox.Ehr.Fhir;

/// <summary>The outcome of one FHIR interaction, before it becomes an HTTP response or a Bundle entry.</summary>
public sealed class FhirResult
{
    public required int Status { get; init; }

    public Resource? Resource { get; init; }

    public string? Location { get; init; }

    public int? VersionId { get; init; }

    public DateTimeOffset? LastModified { get; init; }

    /// <summary>True for interactions that changed data (Prefer: return applies to them).</summary>
    public bool IsWrite { get; init; }

    public bool IsError => Status >= 400;

    public static FhirResult Error(int status, OperationOutcome.IssueType type, string message) => new()
    {
        Status = status,
        Resource = Outcome(OperationOutcome.IssueSeverity.Error, type, message),
    };

    public static OperationOutcome Outcome(OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType type, string message) => new()
    {
        Issue =
        [
            new OperationOutcome.IssueComponent
            {
                Severity = severity,
                Code = type,
                Diagnostics = message.Length > 2000 ? message[..2000] + "..." : message,
            },
        ],
    };

    public static string ReasonPhrase(int status) => status switch
    {
        200 => "200 OK",
        201 => "201 Created",
        204 => "204 No Content",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status),
    };
}

/// <summary>Who is calling and how strictly: an HTTP request with a token, or the trusted in-process store.</summary>
public sealed class CallContext
{
    /// <summary>The FHIR base URL as the caller sees it (<c>http://127.0.0.1:5080/fhir</c>).</summary>
    public required string BaseUrl { get; init; }

    /// <summary>Null for in-process callers (launcher, seeding): no scope checks.</summary>
    public AccessPolicy? Policy { get; init; }

    /// <summary>Whether the EHR mode's refusals apply (HTTP yes; seeding no).</summary>
    public bool EnforceMode { get; init; }

    /// <summary><c>Prefer: handling=lenient</c>: unknown search parameters are ignored and reported.</summary>
    public bool Lenient { get; init; }
}
