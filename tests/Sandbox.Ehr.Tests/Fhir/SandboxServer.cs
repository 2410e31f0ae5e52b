using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Sandbox.Ehr.Auth;
using Task = System.Threading.Tasks.Task;

namespace Sandbox.Ehr.Tests.Fhir;

/// <summary>
/// The real sandbox on a loopback port (port 0), in-memory SQLite. Requests carry real access tokens
/// from the sandbox's own SMART authorization server (<see cref="RealTokens"/>), cached per access asked for.
/// </summary>
public sealed class SandboxServer : IAsyncDisposable
{
    private static readonly FhirJsonSerializer Serializer = new();
    private static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings());

    /// <summary>Full access: a Backend Services token with <c>system/*.cruds</c>.</summary>
    public static readonly SmartAccess Everything = new(RealTokens.BackendClientId, ["system/*.cruds"], null, null, null);

    private readonly RealTokens _tokens;

    private SandboxServer(WebApplication app, Uri origin)
    {
        App = app;
        Origin = origin;
        Http = new HttpClient { BaseAddress = origin, Timeout = TimeSpan.FromSeconds(60) };
        _tokens = new RealTokens(origin);
    }

    public WebApplication App { get; }

    public Uri Origin { get; }

    public HttpClient Http { get; }

    public string FhirBase => Origin.ToString().TrimEnd('/') + "/fhir";

    public static async Task<SandboxServer> StartAsync(params string[] settings)
    {
        // The FHIR tests bring their own data; StorageTests checks the seeding itself.
        var args = new List<string> { "--urls=http://127.0.0.1:0", "--Sandbox:Storage=memory", "--Sandbox:Seed=false" };
        args.AddRange(RealTokens.ClientSettings().Concat(settings).Select(s => "--" + s));
        var app = SandboxHost.Build([.. args], builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SandboxServer(app, new Uri(address));
    }

    /// <summary>A request without a token.</summary>
    public static HttpRequestMessage Request(HttpMethod method, string url, Resource? body = null)
    {
        var request = new HttpRequestMessage(method, url.StartsWith('/') ? url : "/fhir/" + url);
        request.Headers.Accept.ParseAdd("application/fhir+json");
        if (body is not null)
        {
            request.Content = new StringContent(Serializer.SerializeToString(body), Encoding.UTF8, "application/fhir+json");
        }
        return request;
    }

    /// <summary>A request with a real bearer token for <paramref name="access"/> (<see cref="Everything"/> when none is given).</summary>
    public async Task<HttpRequestMessage> RequestAsync(HttpMethod method, string url, Resource? body = null, SmartAccess? access = null)
    {
        var request = Request(method, url, body);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await _tokens.TokenAsync(access ?? Everything, CreatePractitionerAsync));
        return request;
    }

    // The launcher launches only as a practitioner in the store; the FHIR tests start with an empty one.
    private async Task CreatePractitionerAsync()
    {
        var practitioner = new Practitioner { Id = RealTokens.PractitionerId, Name = [new HumanName { Family = "Testsurgeon", Given = ["Sam"] }] };
        var response = await SendAsync(await RequestAsync(HttpMethod.Put, "Practitioner/" + RealTokens.PractitionerId, practitioner));
        if (response.Status is not (HttpStatusCode.Created or HttpStatusCode.OK))
        {
            throw new InvalidOperationException($"The test practitioner could not be stored: {response.Status}");
        }
    }

    public async Task<FhirResponse> SendAsync(HttpRequestMessage request)
    {
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Resource? resource = null;
        if (text.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/fhir+json")
        {
            resource = Deserializer.DeserializeResource(text);
        }
        return new FhirResponse(response.StatusCode, resource, response.Headers, response.Content.Headers, text);
    }

    public async Task<FhirResponse> SendAsync(HttpMethod method, string url, Resource? body = null, SmartAccess? access = null) =>
        await SendAsync(await RequestAsync(method, url, body, access));

    public Task<FhirResponse> GetAsync(string url, SmartAccess? access = null) => SendAsync(HttpMethod.Get, url, null, access);

    public async Task<T> CreateAsync<T>(T resource, SmartAccess? access = null) where T : Resource
    {
        var response = await SendAsync(HttpMethod.Post, resource.TypeName, resource, access);
        Assert.Equal(HttpStatusCode.Created, response.Status);
        return Assert.IsType<T>(response.Resource);
    }

    public async Task<T> PutAsync<T>(T resource, SmartAccess? access = null) where T : Resource
    {
        var response = await SendAsync(HttpMethod.Put, $"{resource.TypeName}/{resource.Id}", resource, access);
        Assert.True(response.Status is HttpStatusCode.Created or HttpStatusCode.OK, response.Body);
        return Assert.IsType<T>(response.Resource);
    }

    /// <summary>Stores two fresh patients: the one a test's token is for, and another one.</summary>
    public async Task<(string Mine, string Other)> TwoPatientsAsync()
    {
        var mine = Make.Patient(Make.NewId());
        var other = Make.Patient(Make.NewId());
        await PutAsync(mine);
        await PutAsync(other);
        return (mine.Id!, other.Id!);
    }

    public async Task<Bundle> SearchAsync(string url, SmartAccess? access = null)
    {
        var response = await GetAsync(url, access);
        Assert.True(response.Status == HttpStatusCode.OK, response.Body);
        return Assert.IsType<Bundle>(response.Resource);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

public sealed record FhirResponse(HttpStatusCode Status, Resource? Resource, System.Net.Http.Headers.HttpResponseHeaders Headers, System.Net.Http.Headers.HttpContentHeaders ContentHeaders, string Body)
{
    public OperationOutcome Outcome => Assert.IsType<OperationOutcome>(Resource);
}

/// <summary>One full-mode sandbox shared by the classes of the collection; tests use fresh ids so they do not see each other's data.</summary>
public sealed class FullModeServer : IAsyncLifetime
{
    public SandboxServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await SandboxServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Small builders for synthetic test resources.</summary>
public static class Make
{
    public static string NewId() => Guid.NewGuid().ToString("N")[..16];

    public static Patient Patient(string? id = null, string family = "Testperson", string given = "Alex") => new()
    {
        Id = id,
        Name = [new HumanName { Family = family, Given = [given] }],
        Gender = AdministrativeGender.Female,
        BirthDate = "1970-05-04",
    };

    public static Condition Condition(string patientId, string code = "G44.209", string system = "http://hl7.org/fhir/sid/icd-10-cm", string? onset = "2021-03", string? encounterId = null) => new()
    {
        Subject = new ResourceReference("Patient/" + patientId),
        Code = new CodeableConcept(system, code, "Tension headache"),
        ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
        Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")],
        Onset = onset is null ? null : new FhirDateTime(onset),
        Encounter = encounterId is null ? null : new ResourceReference("Encounter/" + encounterId),
    };

    public static Procedure Procedure(string patientId, EventStatus status = EventStatus.Completed, string performed = "2023-02-01") => new()
    {
        Status = status,
        Subject = new ResourceReference("Patient/" + patientId),
        Code = new CodeableConcept("http://snomed.info/sct", "1290001", "Occipital nerve block"),
        Performed = new FhirDateTime(performed),
    };

    public static Observation Observation(string patientId, string category) => new()
    {
        Status = ObservationStatus.Final,
        Subject = new ResourceReference("Patient/" + patientId),
        Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/observation-category", category)],
        Code = new CodeableConcept("http://loinc.org", "72514-3", "Pain severity"),
    };

    /// <summary>Asks for an EHR launch on <paramref name="patientId"/> with these scopes (the client is the app; the user, the test practitioner).</summary>
    public static SmartAccess PatientAccess(string patientId, params string[] scopes) => new(SmartClientRegistration.AppClientId, scopes, patientId, null, RealTokens.PractitionerId);

    /// <summary>Asks for a token with these scopes and no patient context.</summary>
    public static SmartAccess UserAccess(params string[] scopes) => new(SmartClientRegistration.AppClientId, scopes, null, null, null);
}

[CollectionDefinition(Name)]
public sealed class FullModeCollection : ICollectionFixture<FullModeServer>
{
    public const string Name = "Full-mode sandbox";
}
