namespace Rhizotomy.App;

/// <summary>
/// Marker for <c>WebApplicationFactory&lt;AppEntry&gt;</c>: both web projects have a top-level
/// <c>Program</c>, so tests that reference both name the assembly through this type.
/// </summary>
public sealed class AppEntry;
