namespace Sandbox.Ehr;

/// <summary>
/// Marker for <c>WebApplicationFactory&lt;SandboxEntry&gt;</c>: both web projects have a top-level
/// <c>Program</c>, so tests that reference both name the assembly through this type.
/// </summary>
public sealed class SandboxEntry;
