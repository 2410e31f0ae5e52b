using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;

namespace Rhizotomy.App.Tests.Hygiene;

/// <summary>
/// Every URL the browser is sent to or requests during a launch carries no token, secret or chart
/// text; the SMART protocol values appear only on the protocol redirects that need them, and the
/// app's own pages name a launch by an opaque id, never by the patient.
/// </summary>
[Collection(HygieneWorldCollection.Name)]
public partial class UrlHygieneTests(HygieneWorld fixture)
{
    private SmartWorld World => fixture.World;

    private void AssertProtocolUrls(List<Hop> hops, string patient)
    {
        var app = new Uri(World.AppOrigin).Authority;
        var problems = new List<string>();
        // The first request is the sandbox's own launcher (the EHR's UI choosing whom to open): not the protocol.
        foreach (var hop in hops.Skip(1))
        {
            var url = hop.Url.ToString();
            var query = QueryHelpers.ParseQuery(hop.Url.Query);
            var isAppLaunch = hop.Url.Authority == app && hop.Url.AbsolutePath == "/launch";
            var isAuthorize = hop.Url.AbsolutePath == "/auth/authorize";
            var isCallback = hop.Url.Authority == app && hop.Url.AbsolutePath == "/callback";

            // The app's page URL is its opaque launch id, by design.
            var allowed = new List<string> { "app launch id" };
            if (isCallback)
                allowed.AddRange(["code", "state"]);
            if (isAuthorize)
                allowed.AddRange(["state", "launch", "nonce", "code_challenge"]);
            if (isAppLaunch)
                allowed.Add("launch");
            var secrets = fixture.Secrets.FindIn(Uri.UnescapeDataString(url), [.. allowed]);
            problems.AddRange(secrets.Select(s => $"{hop.Method} {hop.Url.AbsolutePath}: {s}"));

            if (url.Contains(patient, StringComparison.Ordinal) || Uri.UnescapeDataString(url).Contains(patient, StringComparison.Ordinal))
                problems.Add($"{hop.Method} {hop.Url.AbsolutePath}: the patient id");
            foreach (var name in new[] { "access_token", "id_token", "refresh_token", "token", "patient" })
            {
                if (query.ContainsKey(name))
                    problems.Add($"{hop.Method} {hop.Url.AbsolutePath}: a '{name}' parameter");
            }
            if (query.ContainsKey("code") && !isCallback)
                problems.Add($"{hop.Method} {hop.Url.AbsolutePath}: a code outside the callback");
            if (hop.Url.Fragment.Length > 0)
                problems.Add($"{hop.Method} {hop.Url.AbsolutePath}: a fragment");
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));

        var page = hops[^1];
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal(app, page.Url.Authority);
        var launchId = Assert.Single(OpaquePage().Matches(page.Url.AbsolutePath)).Groups[1].Value;
        Assert.True(launchId.Length >= 22, "the launch id carries at least 128 bits");
        Assert.Empty(page.Url.Query);
    }

    /// <summary>Links, form targets and sources in a page of the app.</summary>
    private void AssertPageLinks(string html, string patient)
    {
        var links = Html.Parse(html).QuerySelectorAll("[href], [src], [action]")
            .SelectMany(e => new[] { "href", "src", "action" }.Select(e.GetAttribute)).OfType<string>().ToList();
        foreach (var link in links)
        {
            Assert.DoesNotContain(patient, link, StringComparison.Ordinal);
            Assert.Empty(fixture.Secrets.FindIn(link, "app launch id"));
        }
    }

    [Fact]
    public async Task An_ehr_launch_puts_protocol_values_only_on_protocol_redirects_and_no_patient_in_app_urls()
    {
        var (browser, cookies) = HygieneWorldBase.NewBrowser();
        using var _ = browser;
        var hops = await fixture.WalkAsync(browser, new Uri($"{World.SandboxOrigin}/launcher/launch?practitioner=surgeon-1&patient=classic-left&app={Uri.EscapeDataString(World.AppOrigin + "/launch")}"));
        fixture.NoteCookies(cookies);
        Assert.Contains(hops, h => h.Url.AbsolutePath == "/callback");
        Assert.Contains("code_verifier", fixture.Secrets.Values.Values);

        AssertProtocolUrls(hops, "classic-left");
        AssertPageLinks(hops[^1].Body, "classic-left");
        Assert.Contains("Margaret", hops[^1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_standalone_launch_puts_protocol_values_only_on_protocol_redirects_and_no_patient_in_app_urls()
    {
        var (browser, cookies) = HygieneWorldBase.NewBrowser();
        using var _ = browser;
        var hops = await fixture.WalkAsync(browser, new Uri($"{World.AppOrigin}/launch?iss={Uri.EscapeDataString(World.Issuer)}"));
        fixture.NoteCookies(cookies);

        AssertProtocolUrls([new Hop(HttpMethod.Get, new Uri(World.AppOrigin), HttpStatusCode.OK, null, null, ""), .. hops], HygieneWorldBase.StandalonePatient);
        AssertPageLinks(hops[^1].Body, HygieneWorldBase.StandalonePatient);
    }

    [GeneratedRegex("^/s/([A-Za-z0-9_-]+)$")]
    private static partial Regex OpaquePage();
}
