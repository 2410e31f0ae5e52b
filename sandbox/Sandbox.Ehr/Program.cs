using Sandbox.Ehr;

await SandboxHost.Build(args).RunAsync();
