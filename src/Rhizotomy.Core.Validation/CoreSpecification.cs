using System.IO.Compression;
using Hl7.Fhir.Specification.Source;

namespace Rhizotomy.Core.Validation;

/// <summary>
/// The FHIR R4 core definitions from <c>specification.zip</c> (shipped beside every assembly that
/// references Hl7.Fhir.Specification.Data.R4), unpacked once into a folder we choose.
/// </summary>
public static class CoreSpecification
{
    /// <summary>A resolver over the core definitions; <paramref name="cacheFolder"/> defaults to a folder under the temp path.</summary>
    public static IAsyncResourceResolver Open(string? cacheFolder = null)
    {
        var zip = Path.Combine(AppContext.BaseDirectory, "specification.zip");
        if (!File.Exists(zip))
            throw new FileNotFoundException("specification.zip is not beside the application; reference Hl7.Fhir.Specification.Data.R4.", "specification.zip");
        var info = new FileInfo(zip);
        // Keyed by size and date so an SDK update unpacks again; several processes (parallel test
        // suites) may race here, so each unpacks into its own folder and the first rename wins.
        var folder = Path.Combine(cacheFolder ?? Path.Combine(Path.GetTempPath(), "rhizotomy-fhir"),
            $"r4-core-{info.Length}-{info.LastWriteTimeUtc.Ticks}");
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
            var scratch = folder + "." + Guid.NewGuid().ToString("N");
            ZipFile.ExtractToDirectory(zip, scratch);
            try
            {
                Directory.Move(scratch, folder);
            }
            catch (IOException) when (Directory.Exists(folder))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
        return new DirectorySource(folder, new DirectorySourceSettings { IncludeSubDirectories = false });
    }
}
