using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Sandbox.Ehr.Fhir.Faults;

namespace Sandbox.Ehr.Tests.Fhir;

public sealed class FaultServer : IAsyncLifetime
{
    public SandboxServer Server { get; private set; } = null!;

    public async System.Threading.Tasks.Task InitializeAsync() => Server = await SandboxServer.StartAsync();

    public async System.Threading.Tasks.Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Tests in one class run one after another, so each sets the faults it needs and clears them after.</summary>
public class FaultTests(FaultServer fixture) : IClassFixture<FaultServer>, IAsyncLifetime
{
    private readonly SandboxServer _server = fixture.Server;

    public System.Threading.Tasks.Task InitializeAsync() => System.Threading.Tasks.Task.CompletedTask;

    public async System.Threading.Tasks.Task DisposeAsync() => await SetAsync(new FaultSettings());

    private async System.Threading.Tasks.Task SetAsync(FaultSettings settings)
    {
        using var response = await _server.Http.PutAsJsonAsync("/admin/faults", settings);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static FaultSettings Rule(string kind, string? method = null, string path = "/fhir", int hangSeconds = 30) =>
        new() { Seed = 1, Rules = [new FaultRule { Kind = kind, Method = method, Path = path, RetryAfterSeconds = 7, HangSeconds = hangSeconds }] };

    [Fact]
    public async System.Threading.Tasks.Task The_admin_endpoint_reads_and_replaces_the_settings_on_loopback()
    {
        var before = await _server.Http.GetFromJsonAsync<FaultSettings>("/admin/faults");
        await SetAsync(new FaultSettings { LatencyMs = 5, Rules = [new FaultRule { Kind = "503", Rate = 0.25 }] });
        var after = await _server.Http.GetFromJsonAsync<FaultSettings>("/admin/faults");

        Assert.Empty(before!.Rules);
        Assert.Equal(5, after!.LatencyMs);
        Assert.Equal(0.25, Assert.Single(after.Rules).Rate);
    }

    [Fact]
    public async System.Threading.Tasks.Task Invalid_fault_settings_are_refused_with_400()
    {
        using var kind = await _server.Http.PutAsJsonAsync("/admin/faults", new FaultSettings { Rules = [new FaultRule { Kind = "explode" }] });
        using var rate = await _server.Http.PutAsJsonAsync("/admin/faults", new FaultSettings { Rules = [new FaultRule { Kind = "500", Rate = 2 }] });
        Assert.Equal(HttpStatusCode.BadRequest, kind.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, rate.StatusCode);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_429_fault_carries_Retry_After_and_hits_only_the_filtered_method_and_path()
    {
        await SetAsync(Rule("429", method: "POST", path: "/fhir/DocumentReference"));

        var post = await _server.SendAsync(HttpMethod.Post, "DocumentReference", new Hl7.Fhir.Model.DocumentReference());
        var get = await _server.GetAsync("DocumentReference?_count=1");
        var otherPath = await _server.SendAsync(HttpMethod.Post, "Patient", Make.Patient());

        Assert.Equal(HttpStatusCode.TooManyRequests, post.Status);
        Assert.Equal(TimeSpan.FromSeconds(7), post.Headers.RetryAfter?.Delta);
        Assert.Equal(Hl7.Fhir.Model.OperationOutcome.IssueType.Throttled, post.Outcome.Issue[0].Code);
        Assert.Equal(HttpStatusCode.OK, get.Status);
        Assert.Equal(HttpStatusCode.Created, otherPath.Status);
    }

    [Theory]
    [InlineData("500", HttpStatusCode.InternalServerError)]
    [InlineData("503", HttpStatusCode.ServiceUnavailable)]
    public async System.Threading.Tasks.Task Status_faults_answer_with_an_outcome(string kind, HttpStatusCode expected)
    {
        await SetAsync(Rule(kind));
        var response = await _server.GetAsync("Patient?_count=1");
        Assert.Equal(expected, response.Status);
        Assert.IsType<Hl7.Fhir.Model.OperationOutcome>(response.Resource);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_hang_outlasts_the_clients_timeout()
    {
        await SetAsync(Rule("hang", hangSeconds: 120));
        using var impatient = new HttpClient { BaseAddress = _server.Origin, Timeout = TimeSpan.FromSeconds(1) };
        var request = await _server.RequestAsync(HttpMethod.Get, "Patient?_count=1");

        await Assert.ThrowsAsync<TaskCanceledException>(() => impatient.SendAsync(request));
    }

    [Fact]
    public async System.Threading.Tasks.Task A_dropped_connection_fails_the_request()
    {
        await SetAsync(Rule("drop"));
        await Assert.ThrowsAsync<HttpRequestException>(() => _server.GetAsync("Patient?_count=1"));
    }

    [Theory]
    [InlineData("fail-after-commit")]
    [InlineData("fail-after-commit-drop")]
    public async System.Threading.Tasks.Task Fail_after_commit_stores_the_write_but_loses_the_answer(string kind)
    {
        var family = "Committed" + Make.NewId();
        await SetAsync(Rule(kind, method: "POST"));

        if (kind == "fail-after-commit")
        {
            var response = await _server.SendAsync(HttpMethod.Post, "Patient", Make.Patient(family: family));
            Assert.Equal(HttpStatusCode.InternalServerError, response.Status);
            Assert.IsType<Hl7.Fhir.Model.OperationOutcome>(response.Resource);
        }
        else
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => _server.SendAsync(HttpMethod.Post, "Patient", Make.Patient(family: family)));
        }

        Assert.Equal(1, (await _server.SearchAsync($"Patient?family={family}")).Total);
    }

    [Fact]
    public async System.Threading.Tasks.Task Added_latency_delays_the_answer()
    {
        await SetAsync(new FaultSettings { LatencyMs = 300 });
        var clock = Stopwatch.StartNew();
        var response = await _server.GetAsync("Patient?_count=1");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.True(clock.ElapsedMilliseconds >= 250, $"answered after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async System.Threading.Tasks.Task A_zero_rate_fault_never_fires()
    {
        await SetAsync(new FaultSettings { Rules = [new FaultRule { Kind = "500", Rate = 0 }] });
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await _server.GetAsync("Patient?_count=1")).Status);
        }
    }
}

public class FaultConfigurationTests
{
    private static FaultInjector Injector(params (string Key, string Value)[] settings) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

    [Fact]
    public void A_seeded_rate_gives_the_same_faults_for_the_same_requests()
    {
        (string, string)[] settings = [("Sandbox:Faults:Seed", "42"), ("Sandbox:Faults:Rules:0:Kind", "500"), ("Sandbox:Faults:Rules:0:Rate", "0.5")];
        var first = Injector(settings);
        var second = Injector(settings);

        var a = Enumerable.Range(0, 50).Select(_ => first.Roll("GET", "/fhir/Patient").Fault is not null).ToList();
        var b = Enumerable.Range(0, 50).Select(_ => second.Roll("GET", "/fhir/Patient").Fault is not null).ToList();

        Assert.Equal(a, b);
        Assert.Contains(true, a);
        Assert.Contains(false, a);
    }

    [Fact]
    public void A_random_latency_range_stays_inside_its_bounds()
    {
        var injector = Injector(("Sandbox:Faults:Seed", "1"), ("Sandbox:Faults:LatencyMs", "10"), ("Sandbox:Faults:LatencyMaxMs", "20"));
        var latencies = Enumerable.Range(0, 100).Select(_ => injector.Roll("GET", "/fhir/Patient").LatencyMs).ToList();
        Assert.All(latencies, l => Assert.InRange(l, 10, 20));
        Assert.True(latencies.Distinct().Count() > 1);
        Assert.Equal(0, injector.Roll("GET", "/launcher").LatencyMs);
    }

    [Fact]
    public async System.Threading.Tasks.Task Faults_configured_at_start_apply_from_the_first_request()
    {
        await using var server = await SandboxServer.StartAsync("Sandbox:Faults:Rules:0:Kind=503");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await server.GetAsync("Patient")).Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task The_admin_endpoint_refuses_callers_that_are_not_loopback()
    {
        // The in-memory test server has no remote address, which is what a non-loopback caller looks like here.
        await using var factory = new WebApplicationFactory<SandboxEntry>().WithWebHostBuilder(b => b.UseSetting("Sandbox:Storage", "memory"));
        using var client = factory.CreateClient();

        using var get = await client.GetAsync(new Uri("/admin/faults", UriKind.Relative));
        using var put = await client.PutAsJsonAsync("/admin/faults", new FaultSettings { Rules = [new FaultRule { Kind = "500" }] });

        Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
    }
}
