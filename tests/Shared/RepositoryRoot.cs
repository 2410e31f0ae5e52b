namespace Rhizotomy.Tests.Shared;

/// <summary>The repository's root folder (the one holding <c>Plugin.sln</c>), found by walking up from the test binaries.</summary>
public static class RepositoryRoot
{
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Plugin.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Plugin.sln not found above the test binaries; run the tests from the repository.");
    }
}
