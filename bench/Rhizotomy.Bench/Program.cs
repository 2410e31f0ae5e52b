using System.Reflection;
using BenchmarkDotNet.Running;
using Rhizotomy.Bench.Launch;
using Rhizotomy.Bench.Notes;
using Rhizotomy.Bench.Sandbox;
using Rhizotomy.Bench.WriteBack;

// Load drivers that need a running server take a verb; everything else is BenchmarkDotNet.
return args.FirstOrDefault() switch
{
    "sandbox-search" => await SearchLoadDriver.RunAsync(args[1..]),
    "launch" => await LaunchLoadDriver.RunAsync(args[1..]),
    "side-by-side" => await SideBySideDriver.RunAsync(args[1..]),
    "first-launch" => await FirstLaunchDriver.RunAsync(args[1..]),
    "writeback" => await WriteBackLoadDriver.RunAsync(args[1..]),
    "validation-cpu" => ValidationCpuDriver.Run(args[1..]),
    _ => RunBenchmarks(args),
};

static int RunBenchmarks(string[] args)
{
    BenchmarkSwitcher.FromAssembly(Assembly.GetExecutingAssembly()).Run(args);
    return 0;
}
