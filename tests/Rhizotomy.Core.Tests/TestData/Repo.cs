namespace Rhizotomy.Core.Tests.TestData;

internal static class Repo
{
    /// <summary>The repository root (the folder holding Plugin.sln), found from the test assembly upwards.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Plugin.sln")))
                {
                    return dir.FullName;
                }
            }
            throw new InvalidOperationException("Plugin.sln not found above the test assembly.");
        }
    }
}
