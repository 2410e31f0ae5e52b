namespace Rhizotomy.Core.Tests;

/// <summary>Folders of the repository, found by walking up from the test binaries to Plugin.sln.</summary>
public static class RepoPaths
{
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Plugin.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Plugin.sln not found above " + AppContext.BaseDirectory + "; run the tests from the repository.");
    }

    public static string Profiles() => Path.Combine(Root(), "profiles");

    /// <summary>The published FHIR package resources the validation tests use (a subset, in the repository; see its README).</summary>
    public static string Published() => Path.Combine(Root(), "tests", "Rhizotomy.Core.Tests", "TestData", "published");
}
