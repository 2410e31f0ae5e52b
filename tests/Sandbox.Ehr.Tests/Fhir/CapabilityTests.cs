using System.Net;
using Hl7.Fhir.Model;

namespace Sandbox.Ehr.Tests.Fhir;

[Collection(FullModeCollection.Name)]
public class CapabilityTests(FullModeServer fixture)
{
    private readonly SandboxServer _server = fixture.Server;

    [Fact]
    public async System.Threading.Tasks.Task Metadata_needs_no_token_and_declares_SMART_with_the_oauth_uris()
    {
        var response = await _server.SendAsync(SandboxServer.Request(HttpMethod.Get, "metadata"));

        Assert.Equal(HttpStatusCode.OK, response.Status);
        var statement = Assert.IsType<CapabilityStatement>(response.Resource);
        var security = statement.Rest.Single().Security!;
        Assert.Contains(security.Service, s => s.Coding.Any(c => c.Code == "SMART-on-FHIR"));
        var uris = security.GetExtension("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris")!;
        var origin = _server.Origin.ToString().TrimEnd('/');
        Assert.Equal(origin + "/auth/authorize", uris.GetExtensionValue<FhirUri>("authorize").Value);
        Assert.Equal(origin + "/auth/token", uris.GetExtensionValue<FhirUri>("token").Value);
        Assert.Equal(origin + "/auth/introspect", uris.GetExtensionValue<FhirUri>("introspect").Value);
    }

    [Fact]
    public async System.Threading.Tasks.Task Full_mode_states_transactions_conditional_create_and_the_indexed_search_parameters()
    {
        var statement = Assert.IsType<CapabilityStatement>((await _server.SendAsync(SandboxServer.Request(HttpMethod.Get, "metadata"))).Resource);
        var rest = statement.Rest.Single();
        var condition = rest.Resource.Single(r => r.Type == "Condition");

        Assert.Contains(rest.Interaction, i => i.Code == CapabilityStatement.SystemRestfulInteraction.Transaction);
        Assert.Contains(rest.Interaction, i => i.Code == CapabilityStatement.SystemRestfulInteraction.Batch);
        Assert.True(condition.ConditionalCreate);
        Assert.Contains(condition.Interaction, i => i.Code == CapabilityStatement.TypeRestfulInteraction.Create);
        Assert.Contains("Condition:encounter", condition.SearchInclude);
        foreach (var name in new[] { "_id", "_lastUpdated", "patient", "subject", "code", "clinical-status", "category", "onset-date", "encounter" })
        {
            Assert.Contains(condition.SearchParam, p => p.Name == name);
        }
        // Quantity and composite parameters are not indexed, so they are not claimed.
        Assert.DoesNotContain(rest.Resource.Single(r => r.Type == "Observation").SearchParam, p => p.Name is "value-quantity" or "code-value-quantity");
    }

    [Fact]
    public async System.Threading.Tasks.Task The_well_known_path_is_not_taken_by_the_FHIR_routes()
    {
        var response = await _server.SendAsync(SandboxServer.Request(HttpMethod.Get, ".well-known/smart-configuration"));
        Assert.NotEqual(HttpStatusCode.Unauthorized, response.Status);
    }
}
