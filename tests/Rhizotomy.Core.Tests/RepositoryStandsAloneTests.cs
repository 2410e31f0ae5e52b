namespace Rhizotomy.Core.Tests;

/// <summary>The code and the tests need nothing beside the repository (no sibling <c>shared</c> folder).</summary>
public sealed class RepositoryStandsAloneTests
{
    // Built from parts so that this file does not name it itself.
    private static readonly string[] Needles = [".." + "/shared", ".." + "\\shared"];

    [Fact]
    public void No_file_under_src_tests_sandbox_or_bench_refers_to_the_shared_folder_beside_the_repository()
    {
        var root = RepoPaths.Root();
        var offenders = new List<string>();
        foreach (var top in new[] { "src", "tests", "sandbox", "bench" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, top), "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
                if (relative.Split('/').Any(part => part is "bin" or "obj" or "TestResults" or "BenchmarkDotNet.Artifacts" or "node_modules")
                    || Path.GetExtension(file) is ".png" or ".db" or ".dll" or ".zip")
                    continue;
                var text = File.ReadAllText(file);
                if (Needles.Any(n => text.Contains(n, StringComparison.Ordinal)))
                    offenders.Add(relative);
            }
        }
        Assert.Empty(offenders);
    }
}
