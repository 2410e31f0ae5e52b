using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Source;
using Rhizotomy.Core.Validation;

namespace Rhizotomy.Core.Tests.Validation;

/// <summary>
/// The product's validator (our profiles only) and one that also knows the published US Core,
/// SDC and C-CDA on FHIR resources the tests use (<c>TestData/published</c>, in the repository). Built once for every test that needs them.
/// </summary>
public sealed class ValidationFixture
{
    public ValidationFixture()
    {
        var packages = RepoPaths.Published();
        // Order matters: US Core 6.1.0 before 4.0.0 (C-CDA needs 4.0.0's us-core-condition and the like).
        string[] folders = ["hl7.fhir.us.core-6.1.0", "hl7.fhir.uv.sdc-3.0.0", "hl7.fhir.us.ccda-1.2.0-firely", "hl7.fhir.us.core-4.0.0"];
        var sources = folders.Select(f => (IAsyncResourceResolver)new DirectorySource(
            Path.Combine(packages, f, "package"), new DirectorySourceSettings { IncludeSubDirectories = false }));
        Published = new ProfileValidator(sources);
    }

    public ProfileValidator Ours => ProfileValidator.Shared;

    public ProfileValidator Published { get; }

    public static string Errors(OperationOutcome outcome) => string.Join("\n", outcome.Issue
        .Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
        .Select(i => $"{i.Severity}: {i.Details?.Text ?? i.Diagnostics} @ {string.Join(",", i.Expression)}"));
}

[CollectionDefinition(Name)]
public sealed class ValidationCollection : ICollectionFixture<ValidationFixture>
{
    public const string Name = "validation";
}
