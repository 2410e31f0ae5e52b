using Hl7.Fhir.Model;

namespace Rhizotomy.App.Tests;

/// <summary>Charts the tests put into the sandbox (named like the sandbox's synthetic patients they imitate), from the shared fixtures.</summary>
public static class Charts
{
    /// <summary>Alex Testperson's left-sided chart (<c>tests/Shared/Fixtures/test-classic-left.json</c>); <paramref name="id"/>: the same chart for another patient id.</summary>
    public static Resource[] ClassicLeft(string id = "test-classic-left") =>
        FhirFixtures.Chart("test-classic-left", ("test-classic-left", id));
}
