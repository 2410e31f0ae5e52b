using Hl7.Fhir.Model;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace Sandbox.Ehr.Fhir;

/// <summary>
/// What the imitated EHRs refuse on create. Epic-like: no Procedure create; DocumentReference
/// only as plain text, tied to an Encounter of the same patient. Oracle-like: a strict
/// DocumentReference shape signed by the token's practitioner; Procedure only when completed.
/// </summary>
public sealed class EhrModeRules(FhirServerOptions options, FhirRepository repository)
{
    public FhirResult? CheckCreate(DbSession session, CallContext context, Resource resource) => (options.Mode, resource) switch
    {
        (EhrMode.EpicLike, Procedure) => FhirResult.Error(405, IssueType.NotSupported, "Procedure create is not supported by this server (epic-like mode)."),
        (EhrMode.EpicLike, DocumentReference document) => Join(EpicDocument(session, document)),
        (EhrMode.OracleLike, DocumentReference document) => Join(OracleDocument(context, document)),
        (EhrMode.OracleLike, Procedure { Status: not EventStatus.Completed }) => Rule("A Procedure can be created only with status 'completed' (oracle-like mode)."),
        _ => null,
    };

    private IEnumerable<string> EpicDocument(DbSession session, DocumentReference document)
    {
        if (document.Content.Count == 0 || document.Content.Any(c => !IsPlainText(c.Attachment?.ContentType)))
        {
            yield return "Every content.attachment must be text/plain (epic-like mode).";
        }
        if (document.DocStatus is not (CompositionStatus.Final or CompositionStatus.Preliminary))
        {
            yield return "docStatus must be final or preliminary (epic-like mode).";
        }
        var encounters = document.Context?.Encounter ?? [];
        if (encounters.Count == 0)
        {
            yield return "context.encounter is required (epic-like mode).";
            yield break;
        }
        foreach (var reference in encounters)
        {
            if (!ReferenceParts.TryParse(reference.Reference, out var type, out var id) || type != "Encounter"
                || repository.Current(session, type, id) is not { Deleted: false } row)
            {
                yield return $"context.encounter '{reference.Reference}' is not a known Encounter.";
                continue;
            }
            var encounter = (Encounter)FhirRepository.ToResource(row);
            if (encounter.Subject?.Reference is not { } encounterPatient || !SameTarget(encounterPatient, document.Subject?.Reference))
            {
                yield return $"context.encounter '{reference.Reference}' belongs to another patient than the document's subject.";
            }
        }
    }

    private static IEnumerable<string> OracleDocument(CallContext context, DocumentReference document)
    {
        if (document.Content.Count != 1)
        {
            yield return "Exactly one content is required (oracle-like mode).";
        }
        if (document.Status != DocumentReferenceStatus.Current)
        {
            yield return "status must be current (oracle-like mode).";
        }
        if (document.DocStatus != CompositionStatus.Final)
        {
            yield return "docStatus must be final (oracle-like mode).";
        }
        var practitioner = context.Policy?.Access.PractitionerId;
        if (context.Policy is not null
            && (practitioner is null || document.Author.Count != 1 || !SameTarget(document.Author[0].Reference, "Practitioner/" + practitioner)))
        {
            yield return "author must be exactly the signed-in practitioner of the token (oracle-like mode).";
        }
        if (document.Context?.Period?.End is null)
        {
            yield return "context.period.end is required (oracle-like mode).";
        }
        foreach (var dateTime in FhirEngine.Descendants(document).OfType<FhirDateTime>())
        {
            if (dateTime.Value is { } value && !value.Contains('T', StringComparison.Ordinal))
            {
                yield return $"Every dateTime needs a time (found '{value}') (oracle-like mode).";
            }
        }
    }

    private static bool IsPlainText(string? contentType) =>
        contentType is not null && contentType.Split(';')[0].Trim().Equals("text/plain", StringComparison.OrdinalIgnoreCase);

    private static bool SameTarget(string? a, string? b) =>
        ReferenceParts.TryParse(a, out var typeA, out var idA) && ReferenceParts.TryParse(b, out var typeB, out var idB) && typeA == typeB && idA == idB;

    private static FhirResult? Join(IEnumerable<string> problems)
    {
        var list = problems.ToList();
        if (list.Count == 0)
        {
            return null;
        }
        var outcome = new OperationOutcome();
        foreach (var problem in list)
        {
            outcome.Issue.Add(new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Error, Code = IssueType.BusinessRule, Diagnostics = problem });
        }
        return new FhirResult { Status = 422, Resource = outcome };
    }

    private static FhirResult Rule(string message) => FhirResult.Error(422, IssueType.BusinessRule, message);
}
