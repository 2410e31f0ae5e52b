using System.Net.Http.Headers;
using System.Text;

namespace Rhizotomy.App.Tests.Hygiene;

/// <summary>
/// The sandbox EHR fed malformed input, with a real access token from a real launch: FHIR errors are
/// OperationOutcomes, and no answer (FHIR, authorization, launcher, admin) shows a stack trace,
/// an exception type, SQL or a file path.
/// </summary>
[Collection(HygieneWorldCollection.Name)]
public class SandboxResponseHygieneTests(HygieneWorld fixture)
{
    private SmartWorld World => fixture.World;

    public static TheoryData<string, string, string?, string?> FhirRequests => new()
    {
        { "GET", "/fhir/Patient/classic-left/_history/not-a-version", null, null },
        { "GET", "/fhir/Patient/" + new string('x', 300), null, null },
        { "GET", "/fhir/Patient/%27%20OR%201%3D1%20--", null, null },
        { "GET", "/fhir/Condition?patient=classic-left&onset-date=not-a-date", null, null },
        { "GET", "/fhir/Condition?patient=classic-left&onset-date=zz2020", null, null },
        { "GET", "/fhir/Condition?patient=classic-left&_sort=%27;DROP%20TABLE%20resource;--", null, null },
        { "GET", "/fhir/Condition?patient=classic-left&subject:Device=Patient/classic-left", null, null },
        { "GET", "/fhir/Condition?patient=classic-left&_count=-5", null, null },
        { "GET", "/fhir/Condition?patient=classic-left&_count=99999999999999999999", null, null },
        { "GET", "/fhir/Condition?patient=classic-left&nonsense=1", null, null },
        { "GET", "/fhir/Condition?patient=classic-left&code:nonsense=1", null, null },
        { "GET", "/fhir/Condition?patient=classic-left&_format=xml", null, null },
        { "GET", "/fhir/NoSuchType?patient=classic-left", null, null },
        { "POST", "/fhir/Procedure", "{ not json", null },
        { "POST", "/fhir/Procedure", "[1,2,3]", null },
        { "POST", "/fhir/Procedure", "{\"resourceType\":\"Procedure\",\"status\":\"bogus\",\"subject\":{\"reference\":\"Patient/classic-left\"}}", null },
        { "POST", "/fhir/Procedure", "{\"resourceType\":\"Patient\",\"id\":\"x\"}", null },
        { "POST", "/fhir/Procedure", "{\"resourceType\":\"Procedure\",\"status\":\"completed\",\"subject\":{\"reference\":\"Patient/classic-left\"}}", "patient=classic-left&date=garbage" },
        { "POST", "/fhir/Procedure", "\u0000\u0001", null },
        { "PUT", "/fhir/Procedure/abc", "{\"resourceType\":\"Procedure\",\"id\":\"xyz\",\"status\":\"completed\",\"subject\":{\"reference\":\"Patient/classic-left\"}}", null },
        { "POST", "/fhir", "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"request\":{\"method\":\"POST\",\"url\":\"Procedure\"}}]}", null },
        { "POST", "/fhir", "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"fullUrl\":\"urn:uuid:1\",\"resource\":{\"resourceType\":\"Procedure\",\"status\":\"completed\",\"subject\":{\"reference\":\"urn:uuid:nope\"}},\"request\":{\"method\":\"POST\",\"url\":\"Procedure\"}}]}", null },
    };

    [Theory]
    [MemberData(nameof(FhirRequests))]
    public async Task Malformed_fhir_requests_get_an_operation_outcome_without_internals(string method, string path, string? body, string? ifNoneExist)
    {
        var token = await AccessTokenAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(new HttpMethod(method), World.SandboxOrigin + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.ParseAdd("application/fhir+json");
        if (ifNoneExist is not null)
            request.Headers.Add("If-None-Exist", ifNoneExist);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/fhir+json");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{method} {path}: {(int)response.StatusCode} {text}");
        Assert.Contains("\"resourceType\":\"OperationOutcome\"", text, StringComparison.Ordinal);
        Assert.True(ResponseHygieneTests.InternalsIn(text).Count == 0, $"{method} {path}: {string.Join(", ", ResponseHygieneTests.InternalsIn(text))} in {text}");
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string?, string?> OtherRequests => new()
    {
        { "GET", "/auth/authorize", null, null },
        { "GET", "/auth/authorize?response_type=code&client_id=%27%22%3C&redirect_uri=javascript:alert(1)&state=s", null, null },
        { "GET", "/auth/authorize?response_type=code&client_id=rhizotomy-test&redirect_uri=http://evil.example/cb&scope=openid&state=s&code_challenge=x&code_challenge_method=plain", null, null },
        { "POST", "/auth/authorize", "sandbox_decision=approve&client_id=%00", "application/x-www-form-urlencoded" },
        { "POST", "/auth/token", "grant_type=authorization_code&code=eyJnot.a.code&code_verifier=x&redirect_uri=http://x", "application/x-www-form-urlencoded" },
        { "POST", "/auth/token", "grant_type=refresh_token&refresh_token=%27%22&client_id=rhizotomy-test", "application/x-www-form-urlencoded" },
        { "POST", "/auth/token", "{\"grant_type\":\"password\"}", "application/json" },
        { "POST", "/auth/token", "grant_type=client_credentials&client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion=eyJhbGciOiJub25lIn0.e30.", "application/x-www-form-urlencoded" },
        { "POST", "/auth/introspect", "token=%00%01", "application/x-www-form-urlencoded" },
        { "GET", "/launcher/launch", null, null },
        { "GET", "/launcher/launch?practitioner=%27%22&patient=%3Cscript%3E&app=javascript:alert(1)", null, null },
        { "GET", "/launcher/launch?practitioner=surgeon-1&patient=no-such-patient&app=http://127.0.0.1:1/launch", null, null },
        { "GET", "/launcher?patient=" + new string('p', 4000), null, null },
        { "PUT", "/admin/faults", "{ not json", "application/json" },
        { "PUT", "/admin/faults", "{\"Rules\":[{\"Kind\":\"explode\"}]}", "application/json" },
        { "PUT", "/admin/faults", "", "application/json" },
        { "PUT", "/admin/faults", "<faults/>", "application/xml" },
        { "GET", "/.well-known/smart-configuration?x=%00", null, null },
        { "GET", "/no/such/page", null, null },
    };

    [Theory]
    [MemberData(nameof(OtherRequests))]
    public async Task Malformed_authorization_launcher_and_admin_requests_get_no_internals(string method, string path, string? body, string? contentType)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(new HttpMethod(method), World.SandboxOrigin + path);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, contentType!);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync() + " " + response.Headers.Location;

        Assert.True((int)response.StatusCode < 500, $"{method} {path}: {(int)response.StatusCode} {text}");
        Assert.True(ResponseHygieneTests.InternalsIn(text).Count == 0, $"{method} {path}: {string.Join(", ", ResponseHygieneTests.InternalsIn(text))} in {text[..Math.Min(text.Length, 600)]}");
    }

    private async Task<string> AccessTokenAsync()
    {
        if (fixture.Recorder.LastAccessToken is null)
        {
            var (browser, _) = HygieneWorldBase.NewBrowser();
            using (browser)
                await fixture.WalkAsync(browser, new Uri($"{World.AppOrigin}/launch?iss={Uri.EscapeDataString(World.Issuer)}"));
        }
        return fixture.Recorder.LastAccessToken ?? throw new InvalidOperationException("No access token was issued.");
    }
}
