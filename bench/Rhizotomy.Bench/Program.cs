using System.Reflection;
using BenchmarkDotNet.Running;
using Rhizotomy.Bench.Launch;
using Rhizotomy.Bench.Notes;
using Rhizotomy.Bench.Sandbox;

// Load drivers that need a running server take a verb; everything else is BenchmarkDotNet.
if (args.Length > 0 && args[0] == "sandbox-search")
{
    return await SearchLoadDriver.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "launch")
{
    return await LaunchLoadDriver.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "validation-cpu")
{
    return ValidationCpuDriver.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(Assembly.GetExecutingAssembly()).Run(args);
return 0;
