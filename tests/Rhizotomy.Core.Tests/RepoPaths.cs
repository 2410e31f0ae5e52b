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

    /// <summary>The offline published FHIR packages (../shared/fhir beside the repository).</summary>
    public static string SharedFhir()
    {
        var folder = Path.GetFullPath(Path.Combine(Root(), "..", "shared", "fhir"));
        if (!Directory.Exists(Path.Combine(folder, "hl7.fhir.us.core-6.1.0")))
            throw new InvalidOperationException($"The published FHIR packages are missing: expected them in {folder} (the shared folder beside the repository, see ARCHITECTURE.md).");
        return folder;
    }
}
