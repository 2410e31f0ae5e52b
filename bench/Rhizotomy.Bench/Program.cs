using System.Reflection;
using BenchmarkDotNet.Running;
using Rhizotomy.Bench.Launch;
using Rhizotomy.Bench.Sandbox;
using Rhizotomy.Bench.WriteBack;

// Load drivers that need a running server take a verb; everything else is BenchmarkDotNet.
if (args.Length > 0 && args[0] == "sandbox-search")
{
    return await SearchLoadDriver.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "launch")
{
    return await LaunchLoadDriver.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "writeback")
{
    return await WriteBackLoadDriver.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(Assembly.GetExecutingAssembly()).Run(args);
return 0;
