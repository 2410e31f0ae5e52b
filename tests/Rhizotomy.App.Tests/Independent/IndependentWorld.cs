using System.Net;
using Rhizotomy.App.Tests.WriteBack;
using Sandbox.Ehr.Seed;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Independent;

/// <summary>
/// The app against the independent FHIR server (<see cref="IndependentServer"/>), with the sandbox's authorization
/// server and launcher in front of it as the hospital's (<c>Sandbox:ExternalFhirBases</c>): the app's EHR issuer is the
/// independent server's base; the sandbox's synthetic charts and the tests' chart are loaded into it with Firely.
/// </summary>
public sealed class IndependentWorld : IAsyncDisposable
{
    private IndependentWorld(IndependentServer server, SmartWorld world)
    {
        Server = server;
        World = world;
    }

    public IndependentServer Server { get; }
    public SmartWorld World { get; }
    public string Issuer => Server.Base;

    /// <param name="strategy">The app's configured write strategy for this EHR (null: as the CapabilityStatement allows).</param>
    public static async Task<IndependentWorld> StartAsync(int pageSize = 50, bool stateLimit = false, string? strategy = null, Action<SmartWorld.Options>? more = null)
    {
        var server = await IndependentServer.StartAsync(pageSize, stateLimit);
        try
        {
            var world = await SigningTests.WorldAsync("full", strategy, more: o =>
            {
                o.Sandbox["Sandbox:ExternalFhirBases:0"] = server.Base;
                o.App["App:Ehrs:0:Issuer"] = server.Base;
                more?.Invoke(o);
            });
            try
            {
                await server.AuthorizeWithAsync(world.SandboxOrigin);
                await server.LoadAsync([.. Charts.ClassicLeft(), .. SyntheticPatients.Build().Entry.Select(e => e.Resource!)]);
                return new IndependentWorld(server, world);
            }
            catch
            {
                await world.DisposeAsync();
                throw;
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Loads a chart into the independent server and into the sandbox (whose launcher checks the patient it launches for).</summary>
    public async Task LoadAsync(Hl7.Fhir.Model.Resource[] chart)
    {
        await Server.LoadAsync(chart);
        await World.SeedAsync(chart);
    }

    /// <summary>An EHR launch from the hospital's launcher with the independent server as <c>iss</c>; the tab ends on the app's page.</summary>
    public async Task<SurgeonTab> LaunchAsync(string patient = "test-classic-left", string? encounter = "test-classic-left-surgery")
    {
        var browser = SmartWorld.Browser();
        using var page = await browser.GetAsync(LaunchUrl(patient, encounter));
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"{page.StatusCode}: {await page.Content.ReadAsStringAsync()} {Server.Output}");
        using var context = await browser.GetAsync(new Uri(World.AppOrigin + "/api/context"));
        var json = await SmartWorld.JsonAsync(context);
        return new SurgeonTab(browser, World.AppOrigin, json.GetProperty("launchId").GetString()!, json.GetProperty("csrfToken").GetString()!);
    }

    public Uri LaunchUrl(string patient = "test-classic-left", string? encounter = "test-classic-left-surgery") =>
        new(World.LaunchUrl(patient, "test-surgeon", encounter) + "&iss=" + Uri.EscapeDataString(Server.Base));

    public async ValueTask DisposeAsync()
    {
        await World.DisposeAsync();
        await Server.DisposeAsync();
    }
}
