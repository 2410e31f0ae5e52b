using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace Rhizotomy.App.Tests.Hygiene;

/// <summary>One request the browser made, and what came back.</summary>
public sealed record Hop(HttpMethod Method, Uri Url, HttpStatusCode Status, string? CacheControl, string? ContentType, string Body);

/// <summary>
/// The sandbox (consent screen on, symmetric client so there is a client secret) and the app, both
/// logging into memory in their production logging setup (Information and above), plus the secrets
/// and chart text the tests look for.
/// </summary>
public abstract partial class HygieneWorldBase : IAsyncLifetime
{
    private readonly string _minimumLevel;
    private readonly bool _turnUpAppSources;

    protected HygieneWorldBase(string minimumLevel, bool turnUpAppSources = false)
    {
        _minimumLevel = minimumLevel;
        _turnUpAppSources = turnUpAppSources;
    }

    public SmartWorld World { get; private set; } = null!;

    public LogCapture AppLog { get; private set; } = null!;

    public LogCapture SandboxLog { get; private set; } = null!;

    public Secrets Secrets { get; } = new();

    public TokenEndpointRecorder Recorder { get; private set; } = null!;

    /// <summary>Patient names, birth dates, MRNs and chart text of the sandbox's classic-left and odd-data patients.</summary>
    public static readonly string[] ChartText =
    [
        "Margaret", "Ellison", "1979-04-12", "MRN-100001", "Left occipital neuralgia", "Gabapentin 300 mg", "No intracranial lesion", "80% relief for 3 days",
        "Ελένη", "Παπαδοπούλου", "王芳", "فاطمة الزهراء", "MRN-100006", "<script>alert(1)</script>", "Occipital thing", "note with <i>markup</i>",
        "Patient declined on the day", "sometime in 2019", "<b>bold</b> physiotherapy", "Headache at the back of the head",
    ];

    public async Task InitializeAsync()
    {
        var key = Guid.NewGuid().ToString("N");
        var recorder = new TokenEndpointRecorder(Secrets);
        Recorder = recorder;
        var options = new SmartWorld.Options
        {
            Client = ClientKind.Symmetric,
            ConfigureSandbox = b => b.Services.AddSingleton<IStartupFilter>(recorder),
        };
        options.Sandbox["Sandbox:AutoApprove"] = "false";
        foreach (var (k, v) in LogCapture.Configuration("sandbox-" + key, _minimumLevel))
            options.Sandbox[k] = v;
        foreach (var (k, v) in LogCapture.Configuration("app-" + key, _minimumLevel, _turnUpAppSources))
            options.App[k] = v;
        World = await SmartWorld.StartAsync(options);
        AppLog = LogCapture.For("app-" + key);
        SandboxLog = LogCapture.For("sandbox-" + key);
        foreach (var text in ChartText)
            Secrets.Add("chart text", text);
    }

    public async Task DisposeAsync() => await World.DisposeAsync();

    /// <summary>The patient chosen on the sandbox's standalone picker.</summary>
    public const string StandalonePatient = "odd-data";

    /// <summary>
    /// Follows a launch one redirect at a time, as a browser would, answering the sandbox's consent
    /// screen with <paramref name="decision"/>; records every request and the protocol values seen on the way.
    /// </summary>
    public async Task<List<Hop>> WalkAsync(HttpClient browser, Uri start, string decision = "approve")
    {
        var hops = new List<Hop>();
        HttpRequestMessage? request = new(HttpMethod.Get, start);
        for (var i = 0; i < 12 && request is not null; i++)
        {
            var url = request.RequestUri!;
            using var response = await browser.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            hops.Add(new Hop(request.Method, url, response.StatusCode, response.Headers.CacheControl?.ToString(), response.Content.Headers.ContentType?.MediaType, body));
            request.Dispose();
            request = null;
            NoteProtocolValues(url);

            if (response.Headers.Location is { } location)
            {
                request = new HttpRequestMessage(HttpMethod.Get, location.IsAbsoluteUri ? location : new Uri(url, location));
            }
            else if (response.StatusCode == HttpStatusCode.OK && url.AbsolutePath == "/auth/authorize" && body.Contains("sandbox_decision", StringComparison.Ordinal))
            {
                var fields = HiddenInputs.Of(body);
                fields["sandbox_decision"] = decision;
                // A standalone launch picks the user and the patient on this screen.
                if (body.Contains("name=\"sandbox_patient\"", StringComparison.Ordinal))
                {
                    fields["sandbox_practitioner"] = "surgeon-1";
                    fields["sandbox_patient"] = StandalonePatient;
                }
                foreach (var (name, value) in fields.Where(f => f.Key.StartsWith("__", StringComparison.Ordinal)))
                    Secrets.Add("sandbox csrf token", value);
                request = new HttpRequestMessage(HttpMethod.Post, new Uri(World.SandboxOrigin + "/auth/authorize")) { Content = new FormUrlEncodedContent(fields) };
            }
        }
        return hops;
    }

    /// <summary>Writes down the launch, state, code and the app's session cookie and launch id as they pass.</summary>
    public void NoteProtocolValues(Uri url)
    {
        var query = QueryHelpers.ParseQuery(url.Query);
        foreach (var name in new[] { "launch", "state", "code", "nonce", "code_challenge" })
        {
            if (query.TryGetValue(name, out var value))
                Secrets.Add(name, value.ToString());
        }
        if (url.AbsolutePath.StartsWith("/s/", StringComparison.Ordinal))
            Secrets.Add("app launch id", url.Segments[^1]);
    }

    /// <summary>A browser that does not follow redirects by itself (the walk does), with its cookie jar.</summary>
    public static (HttpClient Client, CookieContainer Cookies) NewBrowser()
    {
        var cookies = new CookieContainer();
        var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, UseCookies = true, AllowAutoRedirect = false })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
        return (client, cookies);
    }

    /// <summary>Writes down the cookie values of this browser (the app's session cookie, the sandbox's).</summary>
    public void NoteCookies(CookieContainer cookies)
    {
        foreach (Cookie cookie in cookies.GetAllCookies())
            Secrets.Add("cookie " + cookie.Name, cookie.Value);
    }

    /// <summary>The sandbox patients the tests launch; their ids are treated as PHI (they identify a person's record).</summary>
    public static readonly string[] PatientIds = ["classic-left", "odd-data"];

    /// <summary>Neither host's log holds a recorded secret, a JWT-shaped string, a patient id or an MRN.</summary>
    public void AssertLogsClean(params string[] mustHaveSeen)
    {
        // The test saw the real values it looks for: without them it could not fail.
        foreach (var name in mustHaveSeen)
            Assert.Contains(name, Secrets.Values.Values);
        Assert.True(AppLog.Count > 0 && SandboxLog.Count > 0, "both hosts' logs are captured");

        var leaks = new List<string>();
        foreach (var (host, log) in new[] { ("app", AppLog), ("sandbox", SandboxLog) })
        {
            var text = log.Text;
            leaks.AddRange(Secrets.FindIn(text).Select(l => $"{host} log: {l}"));
            leaks.AddRange(PatientIds.Where(id => text.Contains(id, StringComparison.Ordinal)).Select(id => $"{host} log: patient id {id}"));
            if (Mrn().IsMatch(text))
                leaks.Add($"{host} log: an MRN");
        }
        Assert.True(leaks.Count == 0, string.Join(Environment.NewLine, leaks));
    }

    [GeneratedRegex(@"MRN-\d+")]
    private static partial Regex Mrn();

}

/// <summary>Logging as in production: Information and above.</summary>
public sealed class HygieneWorld() : HygieneWorldBase("Information");

/// <summary>
/// Logging turned up to Debug, as an operator chasing a problem might: both hosts' default level,
/// and in the app every source it holds back as well (its holds are in code, so they must win).
/// The sandbox's OpenIddict and ASP.NET Core sources stay held: the sandbox lets an explicit
/// override turn them up, and then they echo request parameters (see the hygiene report).
/// </summary>
public sealed class DebugHygieneWorld() : HygieneWorldBase("Debug", turnUpAppSources: true);

/// <summary>The log, URL and response tests share one hygiene world (and so run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class HygieneWorldCollection : ICollectionFixture<HygieneWorld>
{
    public const string Name = "hygiene world";
}
