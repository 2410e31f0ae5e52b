using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.App.Tests.WriteBack;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Security;

/// <summary>
/// Issue 12, point 6: the audit trail. Who opened which patient's case and who signed, amended or viewed which
/// note is kept in the app's own store and read through <c>GET /api/admin/AuditEvent</c>, a Bundle of FHIR
/// AuditEvents, with a JWT access token from the configured authority (the sandbox's OpenIddict server playing
/// the hospital's identity provider; a client-credentials client with the audit scope) and nothing else.
/// </summary>
[Trait("Category", "Slow")]
public class AuditTrailTests
{
    private const string Scope = "system/AuditEvent.rs";

    [Fact]
    public async Task The_admin_api_lists_who_opened_signed_amended_and_viewed_what_as_audit_events_only_with_an_admin_token()
    {
        await using var world = await SigningTests.WorldAsync("full", more: o =>
        {
            foreach (var (index, id, scope) in new[] { (1, "audit-reader", Scope), (2, "not-an-auditor", "system/Patient.rs") })
            {
                o.Sandbox[$"Sandbox:Clients:{index}:ClientId"] = id;
                o.Sandbox[$"Sandbox:Clients:{index}:Type"] = "symmetric";
                o.Sandbox[$"Sandbox:Clients:{index}:Secret"] = id + "-secret";
                o.Sandbox[$"Sandbox:Clients:{index}:RedirectUris:0"] = "http://127.0.0.1/unused";
                o.Sandbox[$"Sandbox:Clients:{index}:Scopes:0"] = scope;
            }
        });
        using var tab = await SurgeonTab.LaunchAsync(world);
        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("audited-note"));
        Assert.Equal("written", (await SurgeonTab.FinalAsync(tab, signed)).GetProperty("status").GetString());
        using (var page = await tab.Browser.GetAsync(world.AppOrigin + Rhizotomy.App.WriteBack.SignedNotePage.Path(tab.LaunchId, "audited-note")))
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        // Polled again and again: one view in the window, not one per poll.
        for (var i = 0; i < 3; i++)
            await tab.StatusAsync("audited-note");

        // The same store, read by an instance with the admin API on (the hospital's IdP: the sandbox's authorization server).
        var admin = await world.StartAnotherAppAsync(new Dictionary<string, string?>
        {
            ["App:Audit:Authority"] = world.SandboxOrigin + "/",
            ["App:Audit:Audience"] = world.Issuer,
            ["App:Audit:RequiredScope"] = Scope,
        }, sameKeys: true);
        using var http = new HttpClient();
        using (var anonymous = await http.GetAsync(admin + "/api/admin/AuditEvent"))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using (var wrongScope = await GetAsync(http, admin + "/api/admin/AuditEvent", await TokenAsync(world, "not-an-auditor", "system/Patient.rs")))
            Assert.Equal(HttpStatusCode.Forbidden, wrongScope.StatusCode);
        using (var forged = await GetAsync(http, admin + "/api/admin/AuditEvent", "eyJhbGciOiJub25lIn0.eyJzY29wZSI6InN5c3RlbS9BdWRpdEV2ZW50LnJzIn0."))
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);

        var token = await TokenAsync(world, "audit-reader", Scope);
        var all = await BundleAsync(http, admin + "/api/admin/AuditEvent?patient=test-classic-left", token);
        var events = all.Entry.Select(e => (AuditEvent)e.Resource!).ToList();
        string Action(AuditEvent e) => e.Subtype.Single(c => c.System!.EndsWith("/audit-action", StringComparison.Ordinal)).Code!;
        Assert.Contains(events, e => Action(e) == "open-case");
        Assert.Single(events, e => Action(e) == "sign-note");
        Assert.Single(events, e => Action(e) == "view-note");
        Assert.All(events, e =>
        {
            Assert.Equal("Practitioner/test-surgeon", e.Agent.Single().Who!.Reference);
            Assert.Contains(e.Entity, x => x.What?.Reference == "Patient/test-classic-left");
        });
        var sign = events.Single(e => Action(e) == "sign-note");
        Assert.Equal(AuditEvent.AuditEventAction.C, sign.Action);
        Assert.Contains(sign.Entity, x => x.What?.Identifier?.Value == "audited-note");

        Assert.Single((await BundleAsync(http, admin + "/api/admin/AuditEvent?action=C", token)).Entry);
        Assert.Single((await BundleAsync(http, admin + "/api/admin/AuditEvent?subtype=view-note&agent=Practitioner/test-surgeon", token)).Entry);
        Assert.Empty((await BundleAsync(http, admin + "/api/admin/AuditEvent?patient=test-b", token)).Entry);
        Assert.Empty((await BundleAsync(http, admin + "/api/admin/AuditEvent?user=Practitioner/someone-else", token)).Entry);
        Assert.Empty((await BundleAsync(http, admin + "/api/admin/AuditEvent?date=lt2000-01-01", token)).Entry);
        Assert.Equal(events.Count, (await BundleAsync(http, admin + $"/api/admin/AuditEvent?patient=test-classic-left&date=ge{DateTime.UtcNow.AddDays(-1):yyyy-MM-dd}", token)).Entry.Count);
        using (var bad = await GetAsync(http, admin + "/api/admin/AuditEvent?date=yesterday", token))
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        // References only: no name, no birth date.
        using var raw = await GetAsync(http, admin + "/api/admin/AuditEvent", token);
        var json = await raw.Content.ReadAsStringAsync();
        Assert.DoesNotContain("Alex", json, StringComparison.Ordinal);
        Assert.DoesNotContain("1980-04-02", json, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient http, string url, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.ParseAdd("application/fhir+json");
        return await http.SendAsync(request);
    }

    private static async Task<Bundle> BundleAsync(HttpClient http, string url, string token)
    {
        using var response = await GetAsync(http, url, token);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {body}");
        return new FhirJsonDeserializer().Deserialize<Bundle>(body);
    }

    private static async Task<string> TokenAsync(SmartWorld world, string clientId, string scope)
    {
        using var http = new HttpClient();
        using var discovery = await http.GetAsync(world.Issuer + "/.well-known/smart-configuration");
        var tokenEndpoint = JsonDocument.Parse(await discovery.Content.ReadAsStringAsync()).RootElement.GetProperty("token_endpoint").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Post, tokenEndpoint)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = scope }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes(clientId + ":" + clientId + "-secret")));
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }
}
