using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Rhizotomy.App.Hosting;
using Rhizotomy.App.Tests.WriteBack;

namespace Rhizotomy.App.Tests.Hosting;

/// <summary>
/// A real launch and signing against the sandbox, then what OpenTelemetry exported (in-memory exporters, the same
/// pipeline as OTLP) and what the Prometheus endpoint serves: the spans and metrics are there, and none of them
/// carries the patient's name, birth date or ids, the launch or note id, the note's text or a token.
/// </summary>
[Trait("Category", "Slow")]
public sealed class TelemetryTests
{
    private const string ScrapeToken = "scrape-token-for-this-test";

    private static async Task<(SmartWorld World, List<Activity> Spans, List<MetricSnapshot> Metrics)> WorldAsync()
    {
        var spans = new List<Activity>();
        var metrics = new List<MetricSnapshot>();
        var options = new SmartWorld.Options { RealClock = true };
        options.App["App:WriteBack:PollMs"] = "100";
        options.App["App:Telemetry:Prometheus:Enabled"] = "true";
        options.App["App:Telemetry:Prometheus:Token"] = ScrapeToken;
        options.ConfigureApp = b => b.Services
            .ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans))
            .ConfigureOpenTelemetryMeterProvider(m => m.AddInMemoryExporter(metrics));
        var world = await SmartWorld.StartAsync(options);
        await world.SeedAsync(Charts.ClassicLeft());
        return (world, spans, metrics);
    }

    /// <summary>Everything a span or metric says: names, attributes, events, resource; as text, for the PHI checks.</summary>
    private static string Exported(IEnumerable<Activity> spans, IEnumerable<MetricSnapshot> metrics)
    {
        var text = new StringBuilder();
        foreach (var span in spans)
        {
            text.Append(span.Source.Name).Append(' ').Append(span.DisplayName).Append(' ').Append(span.OperationName).Append(' ').Append(span.StatusDescription);
            foreach (var tag in span.TagObjects)
                text.Append(" | ").Append(tag.Key).Append('=').Append(tag.Value);
            foreach (var e in span.Events)
                text.Append(" | event ").Append(e.Name);
            foreach (var baggage in span.Baggage)
                text.Append(" | baggage ").Append(baggage.Key).Append('=').Append(baggage.Value);
            text.AppendLine();
        }
        foreach (var metric in metrics)
        {
            text.Append(metric.Name).Append(' ').Append(metric.Description);
            foreach (var point in metric.MetricPoints)
            {
                foreach (var tag in point.Tags)
                    text.Append(" | ").Append(tag.Key).Append('=').Append(tag.Value);
            }
            text.AppendLine();
        }
        return text.ToString();
    }

    [Fact]
    public async Task A_launch_and_signing_export_spans_and_metrics_without_phi_or_tokens()
    {
        var (world, spans, metrics) = await WorldAsync();
        await using var _ = world;
        using var tab = await SurgeonTab.LaunchAsync(world);
        const string noteId = "telemetry-note-1";
        var response = SignedNotes.LeftNeurectomy(noteId);

        using (var check = new HttpRequestMessage(HttpMethod.Post, world.AppOrigin + "/api/notes/$check")
        {
            Content = new StringContent(new FhirJsonSerializer().SerializeToString(response), Encoding.UTF8, "application/fhir+json"),
        })
        {
            check.Headers.Add("X-CSRF-Token", tab.Csrf);
            check.Headers.Add("X-Launch-Id", tab.LaunchId);
            using var checkedNote = await tab.Browser.SendAsync(check);
            Assert.Equal(HttpStatusCode.OK, checkedNote.StatusCode);
        }
        using var signed = await tab.SignAsync(response);
        var status = await SurgeonTab.FinalAsync(tab, signed);
        Assert.Equal("written", status.GetProperty("status").GetString());

        // Every reader collects now: the span of the sender's attempt may end just after the status says written.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!ExportedSoFar.Copy(spans).Any(s => s.DisplayName == "outbox send attempt") && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        world.App.Services.GetRequiredService<TracerProvider>().ForceFlush();
        world.App.Services.GetRequiredService<MeterProvider>().ForceFlush();
        var exportedSpans = ExportedSoFar.Copy(spans);
        var exportedMetrics = ExportedSoFar.Copy(metrics);

        var names = exportedSpans.Select(s => s.DisplayName).ToHashSet();
        Assert.Contains("launch", names);
        Assert.Contains("launch callback", names);
        Assert.Contains("EHR GET Patient", names);
        Assert.Contains("EHR GET Condition", names);
        Assert.Contains("note check", names);
        Assert.Contains("note sign", names);
        Assert.Contains("outbox send attempt", names);
        // The source is process-wide: hosts of other tests running beside this one export here too (and are checked for PHI too).
        var read = exportedSpans.First(s => s.DisplayName == "EHR GET Patient" && (string?)s.GetTagItem("rhizotomy.ehr") == AppTelemetry.Ehr(world.Issuer));
        Assert.Equal(200, read.GetTagItem("http.response.status_code"));
        Assert.Contains(exportedSpans, s => s.DisplayName == "outbox send attempt" && (string?)s.GetTagItem("rhizotomy.outcome") == "written");
        // The server spans keep the route, not the path with the launch id.
        Assert.Contains(exportedSpans, s => (string?)s.GetTagItem("url.path") == "/s/{launchId}");

        var metricNames = exportedMetrics.Select(m => m.Name).ToHashSet();
        Assert.Contains("rhizotomy.launch.duration", metricNames);
        Assert.Contains("rhizotomy.ehr.request.duration", metricNames);
        Assert.Contains("rhizotomy.outbox.send.attempts", metricNames);
        Assert.Contains("rhizotomy.outbox.depth", metricNames);

        using var scraper = new HttpClient();
        using (var anonymous = await scraper.GetAsync(new Uri(world.AppOrigin + "/metrics")))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var scrape = new HttpRequestMessage(HttpMethod.Get, world.AppOrigin + "/metrics");
        scrape.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ScrapeToken);
        using var scraped = await scraper.SendAsync(scrape);
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        var scrapeText = await scraped.Content.ReadAsStringAsync();
        Assert.Contains("rhizotomy_ehr_request_duration", scrapeText);
        Assert.Contains("fhir_resource_type=\"Patient\"", scrapeText);
        Assert.Contains("rhizotomy_launch_duration", scrapeText);

        var everything = Exported(exportedSpans, exportedMetrics) + "\n" + scrapeText;
        string[] secrets =
        [
            "Alex", "Testperson", "1980-04-02", "test-classic-left", "test-surgeon", tab.LaunchId, noteId, tab.Csrf,
            // The note's text and answers, and any JWT (access, id or refresh token) or bearer header.
            "neurectomy", "Occipital", "eyJ", "Bearer",
        ];
        foreach (var secret in secrets)
        {
            var found = everything.Split('\n').FirstOrDefault(l => l.Contains(secret, StringComparison.OrdinalIgnoreCase));
            Assert.True(found is null, $"'{secret}' exported in: {found}");
        }
    }

    [Fact]
    public async Task The_scrape_endpoint_is_off_unless_enabled_and_refuses_a_wrong_token()
    {
        await using var off = await SmartWorld.StartAsync();
        using var http = new HttpClient();
        using (var none = await http.GetAsync(new Uri(off.AppOrigin + "/metrics")))
            Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);

        var options = new SmartWorld.Options();
        options.App["App:Telemetry:Prometheus:Enabled"] = "true";
        options.App["App:Telemetry:Prometheus:Token"] = ScrapeToken;
        options.App["App:Telemetry:Prometheus:Path"] = "/internal/scrape";
        await using var on = await SmartWorld.StartAsync(options);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, on.AppOrigin + "/internal/scrape");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ScrapeToken + "x");
        using (var refused = await http.SendAsync(wrong))
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using var right = new HttpRequestMessage(HttpMethod.Get, on.AppOrigin + "/internal/scrape");
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ScrapeToken);
        using (var served = await http.SendAsync(right))
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Theory]
    [InlineData("https://ehr.example.org/fhir/r4/Patient/123", "https://ehr.example.org/fhir/r4/", "Patient")]
    [InlineData("https://ehr.example.org/fhir/r4/Condition?patient=Patient/123", "https://ehr.example.org/fhir/r4/", "Condition")]
    [InlineData("https://ehr.example.org/fhir/r4", "https://ehr.example.org/fhir/r4/", "(base)")]
    [InlineData("https://ehr.example.org/fhir/r4/metadata", "https://ehr.example.org/fhir/r4/", "metadata")]
    [InlineData("https://ehr.example.org/fhir/r4/123-abc/x", "https://ehr.example.org/fhir/r4/", "other")]
    [InlineData("https://other.example.org/Patient/1", "https://ehr.example.org/fhir/r4/", "other")]
    public void The_resource_type_attribute_never_carries_an_id_or_a_query(string url, string fhirBase, string expected) =>
        Assert.Equal(expected, AppTelemetry.ResourceType(new Uri(url), fhirBase));
}

/// <summary>What an in-memory exporter has added so far.</summary>
public static class ExportedSoFar
{
    /// <summary>A copy of the exporter's list (it adds from other threads; a copy torn by an add is taken again).</summary>
    public static List<T> Copy<T>(List<T> list)
    {
        while (true)
        {
            try
            {
                return [.. list];
            }
            catch (InvalidOperationException)
            {
            }
            catch (ArgumentException)
            {
            }
        }
    }
}
