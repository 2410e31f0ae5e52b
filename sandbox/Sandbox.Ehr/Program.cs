using Sandbox.Ehr;
using Sandbox.Ehr.Hosting;

return await SandboxHosting.RunAsync(() => SandboxHost.Build(args));
