using Hl7.Fhir.Model;
using Rhizotomy.Tests.Shared;

namespace Rhizotomy.Core.Tests.TestData;

/// <summary>
/// Charts as an EHR holds them, shaped like the sandbox's synthetic patients of the same names, for tests that go
/// through the real case-evidence builder; kept as JSON in <c>tests/Shared/Fixtures/</c>.
/// </summary>
internal static class Charts
{
    /// <summary>Left occipital neuralgia, two left GON blocks with relief, MRI.</summary>
    public static Resource[] ClassicLeft() => FhirFixtures.Chart("classic-left");

    /// <summary>Right occipital neuralgia on the chart; the only block was on the left.</summary>
    public static Resource[] LateralityTrap() => FhirFixtures.Chart("laterality-trap");
}
