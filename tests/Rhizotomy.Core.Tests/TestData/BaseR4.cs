using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;

namespace Rhizotomy.Core.Tests.TestData;

/// <summary>
/// Firely's validator over the R4 core specification only: what "valid against base R4" means until the
/// project's ProfileValidator (note-composer branch) is merged. Built once per test run: the first call
/// reads specification.zip (a few seconds).
/// </summary>
internal static class BaseR4
{
    private static readonly Lazy<Validator> Instance = new(Create);
    private static readonly Lock Gate = new();

    public static OperationOutcome Validate(Resource resource)
    {
        // Firely's validator is not documented as thread-safe; the tests that use it are few.
        lock (Gate)
        {
            return Instance.Value.Validate(resource);
        }
    }

    public static IEnumerable<string> Errors(OperationOutcome outcome) => outcome.Issue
        .Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
        .Select(i => $"{string.Join(",", i.Expression ?? [])}: {i.Details?.Text ?? i.Diagnostics}");

    private static Validator Create()
    {
        var zip = Path.Combine(AppContext.BaseDirectory, "specification.zip");
        // Unpacked beside the test assembly, not in a shared temp folder that other suites also write.
        var extracted = Path.Combine(AppContext.BaseDirectory, "specification-r4");
        var resolver = new CachedResolver(new ZipSource(zip, extracted));
        return new Validator(resolver, LocalTerminologyService.CreateDefaultForCore(resolver));
    }
}
