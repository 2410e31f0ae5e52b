using System.Text.Json;

namespace Rhizotomy.App.Tests;

/// <summary>
/// What the app and the sandbox ship, read from the dependency manifests the build writes beside them
/// (the same files a published app carries): the app never validates at run time, so neither Firely's
/// validator nor specification.zip's package is in it; Polly comes in once, through the resilience package.
/// </summary>
public sealed class ShippedPackagesTests
{
    private static JsonElement Target(string manifest)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, manifest)));
        return json.RootElement.GetProperty("targets").EnumerateObject().First().Value.Clone();
    }

    private static string[] Libraries(JsonElement target) =>
        [.. target.EnumerateObject().Select(p => p.Name.Split('/')[0])];

    private static string[] DirectDependencies(JsonElement target, string project) =>
        target.GetProperty(project + "/1.0.0").TryGetProperty("dependencies", out var dependencies)
            ? [.. dependencies.EnumerateObject().Select(p => p.Name)]
            : [];

    [Fact]
    public void The_app_ships_no_validator_and_no_core_specification()
    {
        var libraries = Libraries(Target("Rhizotomy.App.deps.json"));

        Assert.Contains("Hl7.Fhir.R4", libraries);
        Assert.DoesNotContain("Firely.Fhir.Validation.R4", libraries);
        Assert.DoesNotContain("Hl7.Fhir.Specification.Data.R4", libraries);
        Assert.DoesNotContain("Rhizotomy.Core.Validation", libraries);
    }

    [Fact]
    public void The_app_gets_Polly_only_through_the_resilience_package()
    {
        var direct = DirectDependencies(Target("Rhizotomy.App.deps.json"), "Rhizotomy.App");

        Assert.Contains("Microsoft.Extensions.Http.Resilience", direct);
        Assert.DoesNotContain(direct, name => name.StartsWith("Polly", StringComparison.Ordinal));
    }

    [Fact]
    public void The_sandbox_references_neither_the_resilience_package_nor_the_core_specification()
    {
        var direct = DirectDependencies(Target("Sandbox.Ehr.deps.json"), "Sandbox.Ehr");

        Assert.Contains("OpenIddict.AspNetCore", direct);
        Assert.DoesNotContain("Microsoft.Extensions.Http.Resilience", direct);
        Assert.DoesNotContain("Hl7.Fhir.Specification.Data.R4", direct);
    }
}
