using System.Net;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Task = System.Threading.Tasks.Task;

namespace Sandbox.Ehr.Tests.Fhir;

/// <summary>A sandbox that imitates what an independent server did: a conditional-entry limit on transactions and a malformed CapabilityStatement.</summary>
public sealed class WildServer : IAsyncLifetime
{
    public const int Limit = 2;

    public SandboxServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await SandboxServer.StartAsync($"Sandbox:Fhir:MaxConditionalEntries={Limit}", "Sandbox:Fhir:WildMetadata=true");

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public class WildServerKnobTests(WildServer fixture) : IClassFixture<WildServer>
{
    private readonly SandboxServer _server = fixture.Server;

    private static Bundle Transaction(string patientId, int conditional, int plain)
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        for (var i = 0; i < conditional + plain; i++)
        {
            var condition = Make.Condition(patientId, code: "C" + i);
            condition.Identifier = [new Identifier("urn:test", Make.NewId())];
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = condition,
                Request = new Bundle.RequestComponent
                {
                    Method = Bundle.HTTPVerb.POST,
                    Url = "Condition",
                    IfNoneExist = i < conditional ? "identifier=urn:test|" + condition.Identifier[0].Value : null,
                },
            });
        }
        return bundle;
    }

    [Fact]
    public async Task A_transaction_over_the_conditional_entry_limit_is_400_too_many_entries_and_stores_nothing()
    {
        var patient = await _server.PutAsync(Make.Patient(Make.NewId()));

        var refused = await _server.SendAsync(HttpMethod.Post, "/fhir", Transaction(patient.Id!, WildServer.Limit + 1, 0));

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains("too many entries", refused.Outcome.Issue[0].Diagnostics, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, (await _server.SearchAsync($"Condition?patient={patient.Id}")).Total);
    }

    [Fact]
    public async Task A_transaction_within_the_limit_and_individual_conditional_creates_still_work()
    {
        var patient = await _server.PutAsync(Make.Patient(Make.NewId()));

        var accepted = await _server.SendAsync(HttpMethod.Post, "/fhir", Transaction(patient.Id!, WildServer.Limit, 5));
        var batch = Transaction(patient.Id!, WildServer.Limit + 3, 0);
        batch.Type = Bundle.BundleType.Batch;
        var batchAnswer = await _server.SendAsync(HttpMethod.Post, "/fhir", batch);

        Assert.Equal(HttpStatusCode.OK, accepted.Status);
        Assert.Equal(HttpStatusCode.OK, batchAnswer.Status);
        Assert.Equal(WildServer.Limit + 5 + WildServer.Limit + 3, (await _server.SearchAsync($"Condition?patient={patient.Id}")).Total);
    }

    [Fact]
    public async Task The_wild_capability_statement_carries_the_malformed_content_seen_in_the_wild()
    {
        using var response = await _server.Http.GetAsync(new Uri("/fhir/metadata", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        var json = JsonNode.Parse(text)!;
        var rest = json["rest"]![0]!;
        var document = rest["resource"]!.AsArray().Single(r => (string?)r!["type"] == "DocumentReference")!;

        Assert.DoesNotMatch(@"(Z|[+-]\d\d:\d\d)$", (string)json["date"]!);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$", (string)json["date"]!);
        Assert.NotNull(rest["vendorCapabilities"]);
        Assert.Empty(document["operation"]!.AsArray());
        Assert.Contains(document["interaction"]!.AsArray(), i => (string?)i!["code"] == "search");
        Assert.Contains($"at most {WildServer.Limit} conditional entries", (string)rest["documentation"]!, StringComparison.Ordinal);
        // A strict reader fails on it, as the app's did.
        Assert.False(new FhirJsonDeserializer(new DeserializerSettings()).TryDeserializeResource(text, out _, out _));
    }
}
