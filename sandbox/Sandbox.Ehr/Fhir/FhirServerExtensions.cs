namespace Sandbox.Ehr.Fhir;

public static class FhirServerExtensions
{
    public static WebApplicationBuilder AddFhirServer(this WebApplicationBuilder builder) => builder;

    public static WebApplication MapFhirServer(this WebApplication app) => app;
}
