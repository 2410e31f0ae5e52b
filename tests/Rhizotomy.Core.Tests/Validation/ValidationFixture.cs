using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Source;
using Rhizotomy.Core.Validation;

namespace Rhizotomy.Core.Tests.Validation;

/// <summary>
/// The product's validator (our profiles only) and one that also knows the published US Core,
/// SDC and C-CDA on FHIR resources the tests use (<c>TestData/published</c>, in the repository). Built once per test run
/// (the first test that asks pays for it) and shared by every class that takes this fixture: the classes run in parallel,
/// not one after another in a collection, because the validators are safe to use from several threads.
/// </summary>
public sealed class ValidationFixture
{
    private static readonly Lazy<ProfileValidator> PublishedValidator = new(() =>
    {
        var packages = RepoPaths.Published();
        // Order matters: US Core 6.1.0 before 4.0.0 (C-CDA needs 4.0.0's us-core-condition and the like).
        string[] folders = ["hl7.fhir.us.core-6.1.0", "hl7.fhir.uv.sdc-3.0.0", "hl7.fhir.us.ccda-1.2.0-firely", "hl7.fhir.us.core-4.0.0"];
        var sources = folders.Select(f => (IAsyncResourceResolver)new DirectorySource(
            Path.Combine(packages, f, "package"), new DirectorySourceSettings { IncludeSubDirectories = false }));
        return new ProfileValidator(sources);
    });

    public ProfileValidator Ours => ProfileValidator.Shared;

    public ProfileValidator Published => PublishedValidator.Value;

    public static string Errors(OperationOutcome outcome) => string.Join("\n", outcome.Issue
        .Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
        .Select(i => $"{i.Severity}: {i.Details?.Text ?? i.Diagnostics} @ {string.Join(",", i.Expression)}"));
}
