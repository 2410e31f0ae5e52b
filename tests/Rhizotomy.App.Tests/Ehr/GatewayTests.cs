using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Rhizotomy.App.Ehr;
using Rhizotomy.App.Launch;

namespace Rhizotomy.App.Tests.Ehr;

public class GatewayTests
{
    [Fact]
    public async System.Threading.Tasks.Task The_token_goes_only_to_the_ehr_fhir_base_never_to_another_server_Fake()
    {
        await using var ehr = await RecordingServer.StartAsync(app => app.MapGet("/{**path}", () => "ok"));
        await using var other = await RecordingServer.StartAsync(app => app.MapGet("/{**path}", () => "ok"));
        var handler = new SmartTokenHandler(ehr.Origin + "/fhir", "secret-token") { InnerHandler = new HttpClientHandler() };
        using var http = new HttpClient(handler);

        await http.GetAsync(new Uri(ehr.Origin + "/fhir/Patient/1"));
        await http.GetAsync(new Uri(ehr.Origin + "/fhirx/Patient/1"));
        await http.GetAsync(new Uri(other.Origin + "/fhir/Patient/1"));

        Assert.Equal("Bearer secret-token", ehr.Requests[0].Authorization);
        Assert.Null(ehr.Requests[1].Authorization);
        Assert.Null(Assert.Single(other.Requests).Authorization);
        Assert.Equal(3, handler.RoundTrips);
    }

    [Fact]
    public async System.Threading.Tasks.Task An_old_server_is_discovered_through_its_capability_statement_and_the_answer_is_cached_Fake()
    {
        var statement = new CapabilityStatement
        {
            Status = PublicationStatus.Active, Kind = CapabilityStatementKind.Instance, FhirVersion = FHIRVersion.N4_0_1, Date = "2020-01-01",
            Format = ["json"],
            Rest =
            [
                new CapabilityStatement.RestComponent
                {
                    Mode = CapabilityStatement.RestfulCapabilityMode.Server,
                    Security = new CapabilityStatement.SecurityComponent
                    {
                        Extension =
                        [
                            new Extension
                            {
                                Url = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                                Extension =
                                [
                                    new Extension("authorize", new FhirUri("https://old.example/authorize")),
                                    new Extension("token", new FhirUri("https://old.example/token")),
                                ],
                            },
                        ],
                    },
                },
            ],
        };
        var json = new FhirJsonSerializer().SerializeToString(statement);
        await using var old = await RecordingServer.StartAsync(app =>
        {
            app.MapGet("/fhir/.well-known/smart-configuration", () => Results.NotFound());
            app.MapGet("/fhir/metadata", () => Results.Content(json, "application/fhir+json"));
        });
        var services = new ServiceCollection().AddHttpClient().AddMemoryCache().BuildServiceProvider();
        var discovery = new SmartDiscovery(services.GetRequiredService<IHttpClientFactory>(), services.GetRequiredService<IMemoryCache>(),
            Microsoft.Extensions.Options.Options.Create(new AppOptions()), NullLogger<SmartDiscovery>.Instance);
        var registration = new EhrRegistration { Issuer = old.Origin + "/fhir", ClientId = "app" };

        var first = await discovery.DiscoverAsync(registration, CancellationToken.None);
        var second = await discovery.DiscoverAsync(registration, CancellationToken.None);

        Assert.Equal("https://old.example/authorize", first!.AuthorizationEndpoint);
        Assert.Equal("https://old.example/token", first.TokenEndpoint);
        Assert.False(first.PermissionV2);
        Assert.Same(first, second);
        Assert.Equal(2, old.Requests.Count);
        Assert.Contains("patient/Condition.read", Scopes.Request(registration, first, standalone: false));
    }

    [Fact]
    public async System.Threading.Tasks.Task An_ehr_that_does_not_answer_discovery_is_not_taken_for_an_old_server_Fake()
    {
        // The connection is dropped on every try: the EHR did not answer, so /metadata must not be asked and the
        // launch must not fall back to SMART v1 and a configuration without PKCE.
        await using var silent = await RecordingServer.StartAsync(app =>
        {
            app.MapGet("/fhir/.well-known/smart-configuration", (HttpContext context) => context.Abort());
            app.MapGet("/fhir/metadata", () => Results.Problem("must not be asked"));
        });
        var collection = new ServiceCollection().AddMemoryCache();
        EhrGateway.AddResilience(collection.AddHttpClient(SmartDiscovery.HttpClientName));
        var services = collection.BuildServiceProvider();
        var discovery = new SmartDiscovery(services.GetRequiredService<IHttpClientFactory>(), services.GetRequiredService<IMemoryCache>(),
            Microsoft.Extensions.Options.Options.Create(new AppOptions()), NullLogger<SmartDiscovery>.Instance);

        var found = await discovery.DiscoverAsync(new EhrRegistration { Issuer = silent.Origin + "/fhir", ClientId = "app" }, CancellationToken.None);

        Assert.Null(found);
        lock (silent.Requests)
        {
            Assert.DoesNotContain(silent.Requests, r => r.Path.EndsWith("/metadata", StringComparison.Ordinal));
            // The resilience pipeline tried again before giving up.
            Assert.True(silent.Requests.Count > 1, $"{silent.Requests.Count} request(s)");
        }
    }
}
