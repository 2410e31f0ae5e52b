using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.FirstCommand;

/// <summary>
/// The newcomer's path, end to end: the README's first command itself, as a child process, then a
/// surgeon's whole job over HTTP against it: launch, evidence, note, check, sign, filed in the EHR, and
/// the note in the sandbox chart. Nothing here configures the app: what the command starts is what runs.
/// </summary>
[Trait("Category", "Slow")]
public sealed class FirstCommandTests
{
    private static readonly FhirJsonDeserializer Parser = new(new DeserializerSettings());

    [Fact]
    public async Task The_readme_first_command_launches_signs_and_files_a_note_in_the_sandbox_chart()
    {
        var command = ReadmeCommand.FirstCommand();
        Assert.StartsWith("dotnet run --project sandbox/Sandbox.Demo", command, StringComparison.Ordinal);
        var data = Directory.CreateTempSubdirectory("rhizotomy-first-command-").FullName;
        try
        {
            // `dotnet run` may build first: a generous wait on a shared machine (no timing is asserted).
            await using var demo = await Loopback.OnFreePortAsync(sandboxPort =>
                Loopback.OnFreePortAsync(appPort => ReadmeCommand.StartAsync(command, sandboxPort, appPort, data, TimeSpan.FromMinutes(10))));
            try
            {
                await WalkAsync(demo);
            }
            catch (Exception e) when (e is not TimeoutException)
            {
                throw new Xunit.Sdk.XunitException($"{e.Message}\n--- the command's output ---\n{demo.Output}");
            }
            // The demo's data went to the folder it was told, nothing into the source tree.
            Assert.True(File.Exists(Path.Combine(data, "outbox.db")), "The outbox is not in the demo's data folder.");
        }
        finally
        {
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task WalkAsync(ReadmeCommand demo)
    {
        using var browser = SmartWorld.Browser();
        await WaitReadyAsync(browser, demo.AppOrigin + "/health/ready");

        // 1. Launch from the sandbox's launcher (its default registration of the app, at the app's origin).
        using var page = await browser.GetAsync(new Uri($"{demo.SandboxOrigin}/launcher/launch?practitioner=surgeon-1&patient=classic-left&encounter=classic-left-surgery"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.StartsWith(demo.AppOrigin + "/s/", page.RequestMessage!.RequestUri!.ToString(), StringComparison.Ordinal);

        // 2. Evidence: the chart was read and the case built.
        using var contextResponse = await browser.GetAsync(new Uri(demo.AppOrigin + "/api/context"));
        Assert.Equal(HttpStatusCode.OK, contextResponse.StatusCode);
        var context = await SmartWorld.JsonAsync(contextResponse);
        Assert.False(context.GetProperty("mode").GetProperty("readOnly").GetBoolean(), "The launch is read-only.");
        var evidence = context.GetProperty("evidence");
        Assert.NotEqual(0, evidence.GetProperty("diagnoses").GetArrayLength());
        Assert.NotEqual(0, evidence.GetProperty("blocks").GetArrayLength());
        var launchId = context.GetProperty("launchId").GetString()!;
        var csrf = context.GetProperty("csrfToken").GetString()!;

        // 3. The note: its page opens, and the template comes prefilled from the chart.
        using (var notePage = await browser.GetAsync(new Uri($"{demo.AppOrigin}/s/{launchId}/note")))
            Assert.Equal(HttpStatusCode.OK, notePage.StatusCode);
        using var populated = await SendAsync(browser, demo, HttpMethod.Post, $"/api/Questionnaire/{TemplateDefinitions.NeurectomyId}/$populate", launchId, csrf, body: null);
        Assert.Equal(HttpStatusCode.OK, populated.StatusCode);
        var response = Parser.Deserialize<QuestionnaireResponse>(await populated.Content.ReadAsStringAsync());
        NoteAnswers.CompleteCommon(response);
        NoteAnswers.Neurectomy(response, NoteAnswers.For(Nerve.GreaterOccipital, Side.Left));
        response.Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed;
        var json = new FhirJsonSerializer().SerializeToString(response);

        // 4. Check: no error.
        using var check = await SendAsync(browser, demo, HttpMethod.Post, "/api/notes/$check", launchId, csrf, json);
        Assert.Equal(HttpStatusCode.OK, check.StatusCode);
        var outcome = Parser.Deserialize<OperationOutcome>(await check.Content.ReadAsStringAsync());
        Assert.DoesNotContain(outcome.Issue, i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);

        // 5. Sign, then follow the note until the EHR has it: "Signed and filed in the EHR".
        using var signed = await SendAsync(browser, demo, HttpMethod.Post, "/api/notes", launchId, csrf, json);
        var signedBody = await signed.Content.ReadAsStringAsync();
        Assert.True(signed.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted, $"Signing answered {(int)signed.StatusCode}: {signedBody}");
        var noteId = JsonDocument.Parse(signedBody).RootElement.GetProperty("id").GetString()!;
        var status = await WrittenAsync(browser, demo, launchId, noteId);
        Assert.Equal("written", status.GetProperty("status").GetString());
        using (var signedPage = await browser.GetAsync(new Uri($"{demo.AppOrigin}/s/{launchId}/notes/{noteId}")))
        {
            Assert.Equal(HttpStatusCode.OK, signedPage.StatusCode);
            Assert.Contains("filed in the EHR", await signedPage.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // 6. The note is in the sandbox's chart of the patient.
        using var chartRequest = new HttpRequestMessage(HttpMethod.Get, $"{demo.SandboxOrigin}/launcher/patient/classic-left");
        chartRequest.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
        using var chartResponse = await browser.SendAsync(chartRequest);
        Assert.Equal(HttpStatusCode.OK, chartResponse.StatusCode);
        var chart = Parser.Deserialize<Bundle>(await chartResponse.Content.ReadAsStringAsync());
        var filed = chart.Entry.Select(e => e.Resource).OfType<DocumentReference>()
            .Where(d => d.Identifier.Any(i => i.System == Known.NoteIdentifierSystem && i.Value?.StartsWith(noteId, StringComparison.Ordinal) == true)).ToList();
        Assert.Single(filed);
        Assert.Equal("Organization/sandbox-hospital", filed[0].Custodian?.Reference);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient browser, ReadmeCommand demo, HttpMethod method, string path, string launchId, string csrf, string? body)
    {
        using var request = new HttpRequestMessage(method, demo.AppOrigin + path);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/fhir+json");
        request.Headers.Add("X-CSRF-Token", csrf);
        request.Headers.Add("X-Launch-Id", launchId);
        return await browser.SendAsync(request);
    }

    private static async Task<JsonElement> WrittenAsync(HttpClient browser, ReadmeCommand demo, string launchId, string noteId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{demo.AppOrigin}/api/notes/{noteId}");
            request.Headers.Add("X-Launch-Id", launchId);
            using var response = await browser.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var status = await SmartWorld.JsonAsync(response);
            if (status.GetProperty("status").GetString() != "pending" || DateTime.UtcNow > deadline)
                return status;
            await Task.Delay(200);
        }
    }

    private static async Task WaitReadyAsync(HttpClient browser, string url)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                using var response = await browser.GetAsync(new Uri(url));
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{url} did not say ready in time.");
            await Task.Delay(250);
        }
    }
}
