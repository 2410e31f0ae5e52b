using System.Diagnostics;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Validation;

namespace Rhizotomy.Bench.Notes;

/// <summary>
/// CPU time of whole-note validation measured in-process (<see cref="Process.TotalProcessorTime"/>
/// deltas), per resource type and for the whole note. On a shared, loaded machine wall-clock figures
/// mostly measure the neighbours; CPU time measures our work.
/// Run: dotnet run -c Release --project bench/Rhizotomy.Bench -- validation-cpu [runs]
/// </summary>
public static class ValidationCpuDriver
{
    public static int Run(string[] args)
    {
        var runs = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 200;
        if (args.Contains("--high-priority"))
        {
            // As BenchmarkDotNet runs a benchmark: process High, main thread Highest.
            Process.GetCurrentProcess().PriorityClass = ProcessPriorityClass.High;
            Thread.CurrentThread.Priority = ThreadPriority.Highest;
        }
        var started = Stopwatch.StartNew();
        var validator = ProfileValidator.Shared;
        var note = SampleNotes.BilateralCoagulation();
        var composed = new NoteComposer().Compose(note, SampleNotes.Response(note));
        var resources = composed.Resources.ToList();
        foreach (var resource in resources) Check(validator, resource);
        Console.WriteLine($"validator built and first note validated in {started.ElapsedMilliseconds} ms wall");

        // Warm-up: JIT tiering and the validator's caches.
        for (var i = 0; i < 150; i++)
            foreach (var resource in resources) Check(validator, resource);

        var process = Process.GetCurrentProcess();
        Console.WriteLine($"{runs} runs, {resources.Count} resources per note; per run: CPU ms (mean, all threads), wall ms (p50), allocated (mean, all threads)");
        foreach (var group in resources.GroupBy(r => r.TypeName))
        {
            var (cpu, wall, kb) = Measure(process, runs, () => { foreach (var r in group) Check(validator, r); });
            Console.WriteLine($"  {group.Key,-22} x{group.Count()}  cpu {cpu,7:F2}  wall p50 {wall,7:F2}  allocated {kb,8:F0} KB");
        }
        var (noteCpu, noteWall, noteKb) = Measure(process, runs, () => { foreach (var r in resources) Check(validator, r); });
        Console.WriteLine($"  {"whole note, in turn",-22}     cpu {noteCpu,7:F2}  wall p50 {noteWall,7:F2}  allocated {noteKb,8:F0} KB");
        var (allCpu, allWall, allKb) = Measure(process, runs, () =>
        {
            if (!validator.ValidateAll(resources).All(ProfileValidator.IsValid))
                throw new InvalidOperationException("The sample note does not validate.");
        });
        Console.WriteLine($"  {"whole note, ValidateAll",-22}     cpu {allCpu,7:F2}  wall p50 {allWall,7:F2}  allocated {allKb,8:F0} KB");
        return 0;
    }

    private static (double CpuMs, double WallP50Ms, double AllocatedKb) Measure(Process process, int runs, Action action)
    {
        var walls = new double[runs];
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        for (var i = 0; i < runs; i++)
        {
            var t = Stopwatch.GetTimestamp();
            action();
            walls[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }
        var allocated = (GC.GetTotalAllocatedBytes() - allocatedBefore) / 1024.0 / runs;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds / runs;
        Array.Sort(walls);
        return (cpu, walls[runs / 2], allocated);
    }

    private static void Check(ProfileValidator validator, Resource resource)
    {
        var outcome = validator.Validate(resource);
        if (!ProfileValidator.IsValid(outcome))
            throw new InvalidOperationException($"The sample {resource.TypeName} does not validate.");
    }
}
