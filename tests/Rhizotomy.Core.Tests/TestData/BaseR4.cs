using Hl7.Fhir.Model;
using Rhizotomy.Core.Validation;

namespace Rhizotomy.Core.Tests.TestData;

/// <summary>
/// Validation through the product's <see cref="ProfileValidator"/> (shared, built once per test run):
/// against the base R4 definition of a resource, or one of our profiles.
/// </summary>
internal static class BaseR4
{
    public static OperationOutcome Validate(Resource resource) =>
        ProfileValidator.Shared.Validate(resource, "http://hl7.org/fhir/StructureDefinition/" + resource.TypeName);

    public static OperationOutcome Validate(Resource resource, string profile) => ProfileValidator.Shared.Validate(resource, profile);

    public static IEnumerable<string> Errors(OperationOutcome outcome) => outcome.Issue
        .Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
        .Select(i => $"{string.Join(",", i.Expression ?? [])}: {i.Details?.Text ?? i.Diagnostics}");
}
