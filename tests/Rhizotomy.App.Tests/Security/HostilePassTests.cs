using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Rhizotomy.App.Sessions;
using Rhizotomy.App.Tests.Hygiene;
using Rhizotomy.App.Tests.WriteBack;
using Rhizotomy.App.WriteBack;
using Xunit.Abstractions;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Security;

/// <summary>
/// Issue 12, points 3 and 5, and the hostile pass: foreign elements in a QuestionnaireResponse are refused by
/// name, bodies that are not FHIR JSON get 415, hostile forms get 400 and lose nothing, logout ends the launches,
/// a foreign <c>iss</c> in the authorization response is refused, no Server header, HSTS and a <c>__Host-</c> cookie
/// on https, the key ring encrypted with a certificate, security events logged. Every hostile input is counted:
/// the test prints inputs tried, 5xx seen, leaks and data lost, and asserts 0 for the last three.
/// </summary>
public class HostilePassTests(ITestOutputHelper output)
{
    private static readonly FhirJsonSerializer Json = new();

    private static async Task<SmartWorld> WorldAsync(string logKey, Action<SmartWorld.Options>? more = null) =>
        await SigningTests.WorldAsync("full", more: o =>
        {
            foreach (var (k, v) in LogCapture.Configuration(logKey))
                o.App[k] = v;
            more?.Invoke(o);
        });

    private sealed class Tally
    {
        public int Inputs, ServerErrors, Leaks, Lost;
        public List<string> Findings { get; } = [];

        public async Task<HttpResponseMessage> Check(HttpResponseMessage response, string what, params string[] secrets)
        {
            Inputs++;
            var body = await response.Content.ReadAsStringAsync();
            if ((int)response.StatusCode >= 500)
            {
                ServerErrors++;
                Findings.Add($"{(int)response.StatusCode} for {what}");
            }
            if (body.Contains("   at ", StringComparison.Ordinal) || body.Contains("Exception", StringComparison.Ordinal)
                || secrets.Any(s => s.Length > 0 && body.Contains(s, StringComparison.Ordinal)) || response.Headers.Contains("Server"))
            {
                Leaks++;
                Findings.Add("leak in " + what);
            }
            return response;
        }
    }

    private static HttpRequestMessage Api(HttpMethod method, string url, SurgeonTab tab, string csrf, HttpContent? content)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Add("X-CSRF-Token", csrf);
        request.Headers.Add("X-Launch-Id", tab.LaunchId);
        return request;
    }

    private static async Task<string> CsrfAsync(SmartWorld world, SurgeonTab tab)
    {
        using var context = await tab.Browser.GetAsync(world.AppOrigin + "/api/context?launch=" + tab.LaunchId);
        return (await SmartWorld.JsonAsync(context)).GetProperty("csrfToken").GetString()!;
    }

    [Fact]
    public async Task Foreign_elements_wrong_content_types_and_hostile_forms_are_refused_without_a_5xx_a_leak_or_a_lost_draft()
    {
        await using var world = await WorldAsync("hostile-" + Guid.NewGuid().ToString("N"));
        using var tab = await SurgeonTab.LaunchAsync(world);
        var csrf = await CsrfAsync(world, tab);
        var tally = new Tally();
        var outbox = world.App.Services.GetRequiredService<Outbox>();

        // A draft the surgeon saved: no hostile input may change or lose it.
        var saved = SignedNotes.LeftNeurectomy("kept-draft");
        saved.Status = QuestionnaireResponse.QuestionnaireResponseStatus.InProgress;
        using (var put = await tab.Browser.SendAsync(Api(HttpMethod.Put, world.AppOrigin + "/api/drafts", tab, csrf, new StringContent(Json.SerializeToString(saved), Encoding.UTF8, "application/fhir+json"))))
            Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        var draftBefore = await DraftAsync(world, tab);

        // 1. Foreign elements, each on every QuestionnaireResponse endpoint: 422 naming the element; nothing stored.
        var foreign = new (string Element, Action<QuestionnaireResponse> Add)[]
        {
            ("QuestionnaireResponse.source", q => q.Source = new ResourceReference("Patient/test-b")),
            ("QuestionnaireResponse.basedOn", q => q.BasedOn.Add(new ResourceReference("ServiceRequest/x"))),
            ("QuestionnaireResponse.partOf", q => q.PartOf.Add(new ResourceReference("Procedure/x"))),
            ("QuestionnaireResponse.contained", q => q.Contained.Add(new Patient { Id = "p" })),
            ("QuestionnaireResponse.extension", q => q.Extension.Add(new Extension("http://example.org/x", new FhirString("x")))),
            ("QuestionnaireResponse.modifierExtension", q => q.ModifierExtension.Add(new Extension("http://example.org/x", new FhirBoolean(true)))),
            ("QuestionnaireResponse.text", q => q.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>alert(1)</script></div>" }),
            ("QuestionnaireResponse.meta", q => q.Meta = new Meta { Security = [new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "N")] }),
            ("QuestionnaireResponse.implicitRules", q => q.ImplicitRules = "http://example.org/rules"),
            ("QuestionnaireResponse.language", q => q.Language = "fr"),
            ("QuestionnaireResponse.id", q => q.Id = "chosen-by-client"),
            ("QuestionnaireResponse.subject.identifier", q => q.Subject = new ResourceReference("Patient/test-classic-left") { Identifier = new Identifier("x", "y") }),
            ("QuestionnaireResponse.item.extension", q => q.Item[0].Extension.Add(new Extension("http://example.org/x", new FhirString("x")))),
            ("QuestionnaireResponse.item.answer.extension", q => FirstAnswer(q).Extension.Add(new Extension("http://example.org/x", new FhirString("x")))),
            ("QuestionnaireResponse.item.definition", q => q.Item[0].Definition = "http://example.org/def"),
        };
        var endpoints = new[] { (HttpMethod.Post, "/api/notes"), (HttpMethod.Post, "/api/notes/$preview"), (HttpMethod.Post, "/api/notes/any-note/$amend"), (HttpMethod.Put, "/api/drafts") };
        foreach (var (element, add) in foreign)
        {
            foreach (var (method, path) in endpoints)
            {
                var response = SignedNotes.LeftNeurectomy("foreign-" + Math.Abs(element.GetHashCode()));
                add(response);
                using var answer = await tally.Check(await tab.Browser.SendAsync(Api(method, world.AppOrigin + path, tab, csrf,
                    new StringContent(Json.SerializeToString(response), Encoding.UTF8, "application/fhir+json"))), $"{element} to {path}", tab.LaunchId, csrf);
                Assert.True(answer.StatusCode == HttpStatusCode.UnprocessableEntity, $"{element} to {path}: {answer.StatusCode}");
                var outcome = new FhirJsonDeserializer().Deserialize<OperationOutcome>(await answer.Content.ReadAsStringAsync());
                Assert.True(outcome.Issue.Any(i => i.Expression.Any(e => System.Text.RegularExpressions.Regex.Replace(e!, "(\\.item)+", ".item").StartsWith(element, StringComparison.Ordinal))), $"{element} to {path}: " + string.Join(", ", outcome.Issue.SelectMany(i => i.Expression)) + " " + string.Join(", ", outcome.Issue.Select(i => i.Diagnostics)));
            }
        }
        Assert.Equal(0, await outbox.CountAsync(NoteStatus.Pending, CancellationToken.None) + await outbox.CountAsync(NoteStatus.Written, CancellationToken.None));

        // 2. Wrong or missing Content-Type on every body-taking endpoint: 415.
        var body = Json.SerializeToString(SignedNotes.LeftNeurectomy("typed-note"));
        var bodyEndpoints = endpoints.Concat([(HttpMethod.Post, "/api/notes/$check"), (HttpMethod.Post, "/api/Questionnaire/occipital-neurectomy/$populate")]);
        foreach (var (method, path) in bodyEndpoints)
        {
            foreach (var type in new string?[] { null, "text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x", "application/jsonp", "application/fhir+xml" })
            {
                var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
                if (type is not null)
                    content.Headers.TryAddWithoutValidation("Content-Type", type);
                using var answer = await tally.Check(await tab.Browser.SendAsync(Api(method, world.AppOrigin + path, tab, csrf, content)), $"{type ?? "no type"} to {path}", tab.LaunchId, csrf);
                Assert.True(answer.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{type ?? "no type"} to {path}: {answer.StatusCode}");
            }
        }
        Assert.Null(await outbox.FindAsync("typed-note", CancellationToken.None));

        // 3. Hostile JSON bodies to the API: never a 5xx.
        foreach (var (name, json) in HostileJson())
        {
            foreach (var (method, path) in endpoints)
            {
                using var answer = await tally.Check(await tab.Browser.SendAsync(Api(method, world.AppOrigin + path, tab, csrf, new StringContent(json, Encoding.UTF8, "application/fhir+json"))), $"{name} to {path}", tab.LaunchId, csrf);
                Assert.True((int)answer.StatusCode is >= 400 and < 500, $"{name} to {path}: {answer.StatusCode}");
            }
        }

        // Nothing the surgeon saved was lost or changed by any hostile API input.
        var draftAfter = await DraftAsync(world, tab);
        if (draftAfter != draftBefore)
        {
            tally.Lost++;
            tally.Findings.Add("the saved draft changed");
        }
        // 4. Hostile form bodies to the note page's form endpoints (last: a Check or an autosave of the page saves its form as the draft): never a 5xx.
        var page = await tab.Browser.GetStringAsync(world.AppOrigin + $"/s/{tab.LaunchId}/note?template=occipital-neurectomy");
        var pageCsrf = System.Text.RegularExpressions.Regex.Match(page, "name=\"csrf\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(pageCsrf);
        foreach (var (name, form) in HostileForms(pageCsrf))
        {
            foreach (var path in new[] { "/note/response?template=occipital-neurectomy", "/note/response?template=occipital-neurectomy&purpose=sign", "/note?template=occipital-neurectomy", "/note/draft?template=occipital-neurectomy" })
            {
                var content = new ByteArrayContent(form.Bytes);
                content.Headers.TryAddWithoutValidation("Content-Type", form.Type);
                using var answer = await tally.Check(await tab.Browser.PostAsync(world.AppOrigin + $"/s/{tab.LaunchId}{path}", content), $"{name} to {path}");
                Assert.True((int)answer.StatusCode < 500, $"{name} to {path}: {answer.StatusCode}");
            }
        }

        output.WriteLine($"hostile pass: {tally.Inputs} inputs, {tally.ServerErrors} 5xx, {tally.Leaks} leaks, {tally.Lost} lost");
        foreach (var finding in tally.Findings)
            output.WriteLine(finding);
        Assert.Equal(0, tally.ServerErrors);
        Assert.Equal(0, tally.Leaks);
        Assert.Equal(0, tally.Lost);
    }

    [Fact]
    public async Task The_app_files_only_narrative_it_generated_escaped_without_script_or_event_attributes()
    {
        await using var world = await WorldAsync("narrative-" + Guid.NewGuid().ToString("N"));
        using var tab = await SurgeonTab.LaunchAsync(world);
        var response = SignedNotes.LeftNeurectomy("narrative-note");
        foreach (var answer in AllAnswers(response.Item).Where(a => a.Value is FhirString))
            answer.Value = new FhirString("<script>alert(1)</script><img src=x onerror=alert(2)>");
        using var signed = await tab.SignAsync(response);
        Assert.Equal("written", (await SurgeonTab.FinalAsync(tab, signed)).GetProperty("status").GetString());
        var written = (await SignedNotes.ChartAsync(world)).Where(r => SignedNotes.NoteIds(r).Any(id => id.StartsWith("narrative-note", StringComparison.Ordinal))).ToList();
        Assert.NotEmpty(written);
        foreach (var resource in written)
        {
            foreach (var div in Divs(resource))
            {
                Assert.DoesNotContain("<script", div, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain("<img", div, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotMatch("<[^>]+\\son[a-z]+=", div);
            }
            var outcome = Rhizotomy.Core.Validation.ProfileValidator.Shared.Validate(resource);
            Assert.True(Rhizotomy.Core.Validation.ProfileValidator.IsValid(outcome), resource.TypeName + ": " + string.Join("; ", outcome.Issue.Select(i => i.Diagnostics)));
        }
        Assert.Null(written.OfType<QuestionnaireResponse>().Single().Text);
    }

    [Fact]
    public async Task Logout_ends_every_launch_of_the_browser_and_is_logged_as_a_security_event_without_phi()
    {
        var key = "logout-" + Guid.NewGuid().ToString("N");
        await using var world = await WorldAsync(key);
        var browserJar = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = browserJar, UseCookies = true });
        using var first = await browser.GetAsync(world.LaunchUrl("test-classic-left", "test-surgeon"));
        using var second = await browser.GetAsync(world.LaunchUrl("test-classic-left", "test-surgeon"));
        var launches = new[] { first, second }.Select(r => r.RequestMessage!.RequestUri!.AbsolutePath.Split('/').Last()).ToList();
        using var tab = new SurgeonTab(browser, world.AppOrigin, launches[1], "");
        var csrf = await CsrfAsync(world, tab);
        var cookie = browserJar.GetCookies(new Uri(world.AppOrigin))[SessionAccess.CookieName]!.Value;

        using (var logout = await tab.Browser.SendAsync(Api(HttpMethod.Post, world.AppOrigin + "/api/session/logout", tab, csrf, null)))
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        foreach (var launch in launches)
        {
            using var ended = await tab.Browser.GetAsync(world.AppOrigin + "/s/" + launch);
            Assert.Equal(HttpStatusCode.Unauthorized, ended.StatusCode);
        }
        using (var context = await tab.Browser.GetAsync(world.AppOrigin + "/api/context"))
            Assert.Equal(HttpStatusCode.Unauthorized, context.StatusCode);
        // The cookie the browser had, sent again (a copy kept somewhere): it reaches nothing.
        var jar = new CookieContainer();
        jar.Add(new Uri(world.AppOrigin), new Cookie(SessionAccess.CookieName, cookie, "/"));
        using (var copy = new HttpClient(new HttpClientHandler { CookieContainer = jar, UseCookies = true }))
        using (var context = await copy.GetAsync(world.AppOrigin + "/api/context?launch=" + tab.LaunchId))
            Assert.Equal(HttpStatusCode.Unauthorized, context.StatusCode);

        var log = LogCapture.For(key).Text;
        foreach (var name in new[] { "sign-in", "session-end", "access-refused" })
            Assert.Contains("SecurityEvent=\"" + name + "\"", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Alex", log, StringComparison.Ordinal);
        Assert.DoesNotContain("1980-04-02", log, StringComparison.Ordinal);
        Assert.DoesNotContain(tab.LaunchId, log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signing_and_amending_are_logged_as_security_events()
    {
        var key = "signed-" + Guid.NewGuid().ToString("N");
        await using var world = await WorldAsync(key);
        using var tab = await SurgeonTab.LaunchAsync(world);
        using var signed = await tab.SignAsync(SignedNotes.LeftNeurectomy("event-note"));
        Assert.Equal("written", (await SurgeonTab.FinalAsync(tab, signed)).GetProperty("status").GetString());
        var csrf = await CsrfAsync(world, tab);
        var corrected = SignedNotes.LeftNeurectomy("event-note");
        NoteAnswers.Neurectomy(corrected, Rhizotomy.Core.Templates.LinkIds.For(Rhizotomy.Core.Clinical.Nerve.GreaterOccipital, Rhizotomy.Core.Clinical.Side.Left), segmentMm: 12m);
        using (var amend = await tab.Browser.SendAsync(Api(HttpMethod.Post, world.AppOrigin + "/api/notes/event-note/$amend", tab, csrf,
            new StringContent(Json.SerializeToString(corrected), Encoding.UTF8, "application/fhir+json"))))
            Assert.True(amend.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted, amend.StatusCode.ToString());
        var log = LogCapture.For(key).Text;
        Assert.Contains("SecurityEvent=\"note-signed\"", log, StringComparison.Ordinal);
        Assert.Contains("SecurityEvent=\"note-amended\"", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_authorization_response_naming_another_issuer_is_refused_rfc9207()
    {
        await using var world = await WorldAsync("iss-" + Guid.NewGuid().ToString("N"));
        using var browser = SmartWorld.Browser(followRedirects: false);
        var callback = await world.CallbackUrlAsync(browser, "test-classic-left", "test-surgeon");
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(callback.Query);
        var forged = Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(world.AppOrigin + "/callback", new Dictionary<string, string?>
        {
            ["code"] = query["code"].ToString(),
            ["state"] = query["state"].ToString(),
            ["iss"] = "https://attacker.example/",
        });
        using var refused = await browser.GetAsync(forged);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("own sign-in service, so the app did not use it", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The same walk with the server's own answer passes (the sandbox sends iss; the app checks it).
        using var browser2 = SmartWorld.Browser(followRedirects: false);
        var genuine = await world.CallbackUrlAsync(browser2, "test-classic-left", "test-surgeon");
        using var accepted = await browser2.GetAsync(genuine);
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        Assert.False(accepted.Headers.Contains("Server"));
    }

    [Fact]
    public async Task On_https_the_cookie_is_host_prefixed_hsts_is_sent_and_the_key_ring_is_encrypted_with_the_certificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=rhizotomy-key-ring-test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var folder = Directory.CreateTempSubdirectory("rhizotomy-cert-").FullName;
        try
        {
            var pfx = Path.Combine(folder, "keys.pfx");
            await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "test-password"));
            var keys = Path.Combine(folder, "keys");
            await using var world = await WorldAsync("https-" + Guid.NewGuid().ToString("N"), o =>
            {
                o.App["App:PublicOrigin"] = "https://127.0.0.1:" + SmartWorld.FreePort();
                o.App["App:DataProtectionKeys"] = keys;
                o.App["App:DataProtectionCertificate"] = pfx;
                o.App["App:DataProtectionCertificatePassword"] = "test-password";
            });
            using var browser = SmartWorld.Browser(followRedirects: false);
            using var launch = await browser.GetAsync(world.AppOrigin + "/launch?iss=" + Uri.EscapeDataString(world.Issuer));
            Assert.Equal(HttpStatusCode.Redirect, launch.StatusCode);
            var cookie = Assert.Single(launch.Headers.GetValues("Set-Cookie"));
            Assert.StartsWith(SessionAccess.HostCookieName + "=", cookie, StringComparison.Ordinal);
            Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("domain=", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Equal("max-age=31536000; includeSubDomains", launch.Headers.GetValues("Strict-Transport-Security").Single());
            Assert.False(launch.Headers.Contains("Server"));

            var files = Directory.GetFiles(keys, "key-*.xml");
            Assert.NotEmpty(files);
            foreach (var file in files)
            {
                var xml = await File.ReadAllTextAsync(file);
                Assert.Contains("encryptedSecret", xml, StringComparison.Ordinal);
                Assert.DoesNotContain("<masterKey", xml.Replace("<masterKey p4:requiresClearText", "", StringComparison.Ordinal).Split("<encryptedSecret")[0].Split("<descriptor")[1], StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<string> DraftAsync(SmartWorld world, SurgeonTab tab)
    {
        using var draft = await tab.Browser.GetAsync(world.AppOrigin + "/api/drafts?template=occipital-neurectomy&launch=" + tab.LaunchId);
        Assert.Equal(HttpStatusCode.OK, draft.StatusCode);
        return await draft.Content.ReadAsStringAsync();
    }

    private static QuestionnaireResponse.AnswerComponent FirstAnswer(QuestionnaireResponse q) => AllAnswers(q.Item).First();

    private static IEnumerable<QuestionnaireResponse.AnswerComponent> AllAnswers(IEnumerable<QuestionnaireResponse.ItemComponent> items)
    {
        foreach (var item in items)
        {
            foreach (var answer in item.Answer)
            {
                yield return answer;
                foreach (var nested in AllAnswers(answer.Item))
                    yield return nested;
            }
            foreach (var nested in AllAnswers(item.Item))
                yield return nested;
        }
    }

    private static IEnumerable<string> Divs(Base node)
    {
        if (node is Narrative { Div: { } div })
            yield return div;
        foreach (var (_, value) in node.EnumerateElements())
        {
            foreach (var child in value is Base one ? [one] : value is System.Collections.IEnumerable list and not string ? list.OfType<Base>() : [])
            {
                foreach (var d in Divs(child))
                    yield return d;
            }
        }
    }

    private sealed record Form(byte[] Bytes, string Type);

    private static IEnumerable<(string, Form)> HostileForms(string csrf)
    {
        const string url = "application/x-www-form-urlencoded";
        Form F(string body, string type = url) => new(Encoding.UTF8.GetBytes(body), type);
        yield return ("duplicate csrf", F($"csrf={csrf}&csrf=other&noteId=rz-0&noteId=rz-1"));
        yield return ("duplicate fields", F($"csrf={csrf}&" + string.Join('&', Enumerable.Repeat("plan-wound=a", 50))));
        yield return ("huge value", F($"csrf={csrf}&plan-wound=" + new string('x', 5_000_000)));
        yield return ("many fields", F($"csrf={csrf}&" + string.Join('&', Enumerable.Range(0, 3000).Select(i => $"f{i}=1"))));
        yield return ("huge key", F($"csrf={csrf}&" + new string('k', 100_000) + "=1"));
        yield return ("bad percent encoding", F($"csrf={csrf}&plan-wound=%ZZ%&%%%=1"));
        yield return ("invalid utf-8", new Form([.. Encoding.ASCII.GetBytes($"csrf={csrf}&plan-wound="), 0xC3, 0x28, 0xFF, 0xFE], url));
        yield return ("nul bytes", F($"csrf={csrf}&plan-wound=%00%00a%00&~encounter=%00"));
        yield return ("missing csrf", F("plan-wound=a"));
        yield return ("only csrf", F($"csrf={csrf}"));
        yield return ("empty", F(""));
        yield return ("odd field names", F($"csrf={csrf}&~encounter=Patient/test-b&~encounter=Encounter/../../x&noteId=../../etc&action=sign&action=confirm-sign"));
        yield return ("encounter of another patient", F($"csrf={csrf}&~encounter=Encounter/test-b-surgery&action=confirm-sign"));
        yield return ("numbers out of range", F($"csrf={csrf}&" + string.Join('&', new[] { "1e308", "-1e308", "NaN", "Infinity", "99999999999999999999999999999" }.Select(v => "nerve-gon-left-segment=" + v))));
        yield return ("charset latin1", F($"csrf={csrf}&plan-wound=caf%E9", url + "; charset=iso-8859-1"));
        yield return ("charset unknown", F($"csrf={csrf}&plan-wound=a", url + "; charset=x-unknown"));
        yield return ("multipart broken", F($"--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--x", "multipart/form-data; boundary=x"));
        yield return ("multipart no boundary", F("garbage", "multipart/form-data"));
        yield return ("multipart file", F($"--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--x\r\nContent-Disposition: form-data; name=\"plan-wound\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--x--\r\n", "multipart/form-data; boundary=x"));
        yield return ("json as form", F("{\"csrf\":\"" + csrf + "\"}"));
        yield return ("script values", F($"csrf={csrf}&plan-wound=%3Cscript%3Ealert(1)%3C%2Fscript%3E&template=%3Cimg%20onerror%3D1%3E"));
    }

    private static IEnumerable<(string, string)> HostileJson()
    {
        yield return ("not json", "not json at all");
        yield return ("empty object", "{}");
        yield return ("wrong resource", "{\"resourceType\":\"Patient\",\"id\":\"x\"}");
        yield return ("deep nesting", string.Concat(Enumerable.Repeat("{\"a\":", 5000)) + "1" + new string('}', 5000));
        yield return ("huge string", "{\"resourceType\":\"QuestionnaireResponse\",\"status\":\"completed\",\"questionnaire\":\"" + new string('q', 2_000_000) + "\"}");
        yield return ("bad status", "{\"resourceType\":\"QuestionnaireResponse\",\"status\":\"signed-by-god\"}");
        yield return ("array", "[1,2,3]");
        yield return ("null", "null");
        yield return ("bad identifier", "{\"resourceType\":\"QuestionnaireResponse\",\"status\":\"completed\",\"identifier\":{\"value\":\"../../x\"}}");
        yield return ("no items", "{\"resourceType\":\"QuestionnaireResponse\",\"status\":\"completed\",\"questionnaire\":\"http://nowhere\"}");
        yield return ("deep items", "{\"resourceType\":\"QuestionnaireResponse\",\"status\":\"completed\",\"item\":" + string.Concat(Enumerable.Repeat("[{\"linkId\":\"a\",\"item\":", 300)) + "[]" + string.Concat(Enumerable.Repeat("}]", 300)) + "}");
        yield return ("unicode", "{\"resourceType\":\"QuestionnaireResponse\",\"status\":\"completed\",\"item\":[{\"linkId\":\"\\u0000\\ud800\",\"answer\":[{\"valueString\":\"\\ud800\"}]}]}");
    }
}
