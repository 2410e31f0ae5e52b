using Rhizotomy.Tests.Shared;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rhizotomy.App;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Evidence;
using Rhizotomy.Core.Prefill;
using Rhizotomy.Core.Templates;
using Sandbox.Ehr;
using Sandbox.Ehr.Fhir;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.Bench.WriteBack;

/// <summary>
/// Load driver for signing and write-back: the sandbox EHR and the app in this process on loopback
/// ports, a real EHR launch, then signed notes over HTTP.
/// Part 1, per strategy (sandbox with added FHIR latency): round trips per sign and time from the
/// sign request to "written" (p50/p95), each row with the machine's load average; with <c>--servers sandbox,independent</c>
/// also against the independent FHIR server (Medplum's FHIR router, <c>tests/IndependentFhir</c>; no added latency there),
/// the sandbox authorizing for it. Part 2, the fault run: about 30% of the EHR's writes fail
/// (429, 500, 503, hang, dropped connection, failure after commit), N notes signed; counts attempts,
/// notes written, duplicates and lost notes.
/// <code>dotnet run -c Release --project bench/Rhizotomy.Bench -- writeback [--notes 50] [--latency-ms 50] [--fault-notes 1000] [--fault-modes epic-like,full] [--servers sandbox,independent]</code>
/// </summary>
public static class WriteBackLoadDriver
{
    private const string ClientId = "rhizotomy-bench";
    private const string Patient = "bench-classic-left";
    private static readonly string[] FaultKinds = ["429", "500", "503", "hang", "drop", "fail-after-commit", "fail-after-commit-drop"];

    public static async Task<int> RunAsync(string[] args)
    {
        var notes = int.Parse(Option(args, "--notes", "50"), CultureInfo.InvariantCulture);
        var latency = int.Parse(Option(args, "--latency-ms", "50"), CultureInfo.InvariantCulture);
        var faultNotes = int.Parse(Option(args, "--fault-notes", "1000"), CultureInfo.InvariantCulture);
        var faultModes = Option(args, "--fault-modes", "epic-like,full").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var servers = Option(args, "--servers", "sandbox").Split(',', StringSplitOptions.RemoveEmptyEntries);
        Console.WriteLine($"Write-back: {notes} notes per strategy at +{latency} ms FHIR latency; fault run {faultNotes} notes; {Environment.ProcessorCount} cores, .NET {Environment.Version}");

        Console.WriteLine();
        Console.WriteLine("| server | EHR mode | strategy | round trips per sign | sign to written p50 (ms) | p95 (ms) | load average (1 min) |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|");
        (string Server, string Mode, string? Strategy)[] rows =
        [
            .. servers.Contains("sandbox") ? new (string, string, string?)[]
            {
                ("sandbox", "full", null), ("sandbox", "full", "individual"), ("sandbox", "full", "document-only"), ("sandbox", "oracle-like", null), ("sandbox", "epic-like", null),
            } : [],
            .. servers.Contains("independent") ? new (string, string, string?)[]
            {
                ("independent", "-", null), ("independent", "-", "individual"), ("independent", "-", "document-only"),
            } : [],
        ];
        foreach (var (server, mode, strategy) in rows)
        {
            await using var independent = server == "independent" ? await IndependentServer.StartAsync() : null;
            await using var world = await World.StartAsync(independent is null ? mode : "full", strategy, independent is null ? latency : 0, faults: false, independent);
            var tab = await world.LaunchAsync();
            await world.SignAsync(tab, "warmup-" + mode + strategy);
            var times = new List<double>();
            var trips = new List<int>();
            string? used = null;
            for (var i = 0; i < notes; i++)
            {
                var clock = Stopwatch.StartNew();
                var status = await world.SignAndWaitAsync(tab, $"lat-{mode}-{strategy}-{i}");
                times.Add(clock.Elapsed.TotalMilliseconds);
                trips.Add(status.GetProperty("roundTrips").GetInt32());
                used = status.GetProperty("strategy").GetString();
            }
            times.Sort();
            Console.WriteLine($"| {server} | {mode} | {used} | {trips.Average():F1} | {Percentile(times, 0.5):F0} | {Percentile(times, 0.95):F0} | {LoadAverage()} |");
        }

        Console.WriteLine();
        Console.WriteLine("| EHR mode | strategy | notes signed | attempts | notes written | duplicates | lost | failed | wall (s) |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var mode in faultModes)
        {
            await using var world = await World.StartAsync(mode, null, 0, faults: true);
            var tab = await world.LaunchAsync();
            var wall = Stopwatch.StartNew();
            var ids = Enumerable.Range(0, faultNotes).Select(i => $"fault-{mode}-{i:0000}").ToList();
            using (var gate = new SemaphoreSlim(16))
            {
                await Task.WhenAll(ids.Select(async id =>
                {
                    await gate.WaitAsync();
                    try
                    {
                        await world.SignAsync(tab, id);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }));
            }
            var attempts = 0;
            var failed = 0;
            string? used = null;
            foreach (var id in ids)
            {
                var status = await world.WaitAsync(tab, id, TimeSpan.FromMinutes(10));
                attempts += status.GetProperty("attempts").GetInt32();
                failed += status.GetProperty("status").GetString() == "failed" ? 1 : 0;
                used = status.GetProperty("strategy").GetString();
            }
            wall.Stop();
            var documents = await world.DocumentsByNoteAsync();
            var written = ids.Count(documents.ContainsKey);
            var duplicates = documents.Values.Sum(c => c - 1);
            Console.WriteLine($"| {mode} | {used} | {faultNotes} | {attempts} | {written} | {duplicates} | {faultNotes - written} | {failed} | {wall.Elapsed.TotalSeconds:F0} |");
        }
        return 0;
    }

    private sealed record Tab(HttpClient Browser, string LaunchId, string Csrf);

    private sealed class World : IAsyncDisposable
    {
        private readonly string _folder;
        private readonly WebApplication _sandbox;
        private readonly WebApplication _app;
        private readonly string _sandboxOrigin;
        private readonly string _appOrigin;
        private readonly string? _iss;
        private static readonly Questionnaire Template = TemplateDefinitions.Build(Technique.Neurectomy);

        private World(string folder, WebApplication sandbox, WebApplication app, string sandboxOrigin, string appOrigin, string? iss)
        {
            _iss = iss;
            _folder = folder;
            _sandbox = sandbox;
            _app = app;
            _sandboxOrigin = sandboxOrigin;
            _appOrigin = appOrigin;
        }

        /// <param name="independent">The EHR's FHIR server is this one (the sandbox authorizes for it); null: the sandbox's own.</param>
        public static async Task<World> StartAsync(string mode, string? strategy, int latency, bool faults, IndependentServer? independent = null)
        {
            var folder = Directory.CreateTempSubdirectory("writeback-bench-").FullName;
            var appOrigin = $"http://127.0.0.1:{FreePort()}";
            var sandboxConfig = new Dictionary<string, string?>
            {
                ["Sandbox:Storage"] = "memory",
                ["Sandbox:Mode"] = mode,
                ["Sandbox:DataFolder"] = folder,
                ["Sandbox:Fhir:MaxCount"] = "5000",
                ["Sandbox:Faults:LatencyMs"] = latency.ToString(CultureInfo.InvariantCulture),
            };
            if (independent is not null)
                sandboxConfig["Sandbox:ExternalFhirBases:0"] = independent.Base;
            if (faults)
            {
                sandboxConfig["Sandbox:Faults:Seed"] = "11";
                for (var i = 0; i < FaultKinds.Length; i++)
                {
                    sandboxConfig[$"Sandbox:Faults:Rules:{i}:Kind"] = FaultKinds[i];
                    sandboxConfig[$"Sandbox:Faults:Rules:{i}:Rate"] = "0.05";
                    sandboxConfig[$"Sandbox:Faults:Rules:{i}:Method"] = "POST";
                    sandboxConfig[$"Sandbox:Faults:Rules:{i}:HangSeconds"] = "3";
                    sandboxConfig[$"Sandbox:Faults:Rules:{i}:RetryAfterSeconds"] = "1";
                }
            }
            var sandbox = SandboxHost.Build(["--urls=http://127.0.0.1:0"], b =>
            {
                b.Configuration.AddInMemoryCollection(sandboxConfig);
                b.Configuration.AddInMemoryCollection(SandboxRegistration.PublicApp(ClientId, appOrigin));
                b.Logging.SetMinimumLevel(LogLevel.Warning);
            });
            await sandbox.StartAsync();
            var sandboxOrigin = sandbox.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
            await Seed(sandbox.Services.GetRequiredService<IFhirStore>());
            if (independent is not null)
            {
                await independent.AuthorizeWithAsync(sandboxOrigin);
                await independent.LoadAsync(Chart());
            }

            var app = AppHost.Build(["--urls", appOrigin], b =>
            {
                b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["App:PublicOrigin"] = appOrigin,
                    ["App:DataProtectionKeys"] = Path.Combine(folder, "app-keys"),
                    ["App:Ehrs:0:Issuer"] = independent?.Base ?? sandboxOrigin + "/fhir",
                    ["App:Ehrs:0:ClientId"] = ClientId,
                    ["App:Ehrs:0:AuthMethod"] = "Public",
                    ["App:Ehrs:0:Custodian"] = "Organization/bench-hospital",
                    ["App:Ehrs:0:WriteStrategy"] = strategy,
                    ["App:WriteBack:ConnectionString"] = "Data Source=" + Path.Combine(folder, "outbox.db"),
                    ["App:WriteBack:AttemptTimeoutSeconds"] = "2",
                    ["App:WriteBack:InlineWaitMs"] = faults ? "200" : "10000",
                    ["App:WriteBack:Concurrency"] = "16",
                    ["App:WriteBack:PollMs"] = "100",
                    ["App:WriteBack:BaseDelayMs"] = "100",
                    ["App:WriteBack:MaxDelayMs"] = "2000",
                    ["Serilog:MinimumLevel:Default"] = "Warning",
                });
            });
            await app.StartAsync();
            return new World(folder, sandbox, app, sandboxOrigin, appOrigin, independent?.Base);
        }

        public async Task<Tab> LaunchAsync()
        {
            var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true, AllowAutoRedirect = true }) { Timeout = TimeSpan.FromSeconds(120) };
            using var page = await browser.GetAsync($"{_sandboxOrigin}/launcher/launch?practitioner=bench-surgeon&patient={Patient}&encounter={Patient}-surgery&app={Uri.EscapeDataString(_appOrigin + "/launch")}"
                + (_iss is null ? "" : "&iss=" + Uri.EscapeDataString(_iss)));
            page.EnsureSuccessStatusCode();
            using var context = JsonDocument.Parse(await browser.GetStringAsync(_appOrigin + "/api/context"));
            return new Tab(browser, context.RootElement.GetProperty("launchId").GetString()!, context.RootElement.GetProperty("csrfToken").GetString()!);
        }

        public async Task<HttpStatusCode> SignAsync(Tab tab, string noteId)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _appOrigin + "/api/notes")
            {
                Content = new StringContent(new FhirJsonSerializer().SerializeToString(Note(noteId)), Encoding.UTF8, "application/fhir+json"),
            };
            request.Headers.Add("X-CSRF-Token", tab.Csrf);
            request.Headers.Add("X-Launch-Id", tab.LaunchId);
            using var response = await tab.Browser.SendAsync(request);
            if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Accepted))
                throw new InvalidOperationException($"Sign {noteId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return response.StatusCode;
        }

        public async Task<JsonElement> SignAndWaitAsync(Tab tab, string noteId)
        {
            await SignAsync(tab, noteId);
            return await WaitAsync(tab, noteId, TimeSpan.FromMinutes(2));
        }

        public async Task<JsonElement> WaitAsync(Tab tab, string noteId, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, _appOrigin + "/api/notes/" + noteId);
                request.Headers.Add("X-Launch-Id", tab.LaunchId);
                using var response = await tab.Browser.SendAsync(request);
                var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
                if (status.GetProperty("status").GetString() is "written" or "failed" || DateTime.UtcNow > deadline)
                    return status;
                await Task.Delay(20);
            }
        }

        /// <summary>DocumentReferences in the sandbox per note identifier.</summary>
        public async Task<Dictionary<string, int>> DocumentsByNoteAsync()
        {
            var store = _sandbox.Services.GetRequiredService<IFhirStore>();
            var found = await store.SearchAsync("DocumentReference", "_count=5000");
            return found.OfType<DocumentReference>()
                .SelectMany(d => d.Identifier.Where(i => i.System == Known.NoteIdentifierSystem).Select(i => i.Value!))
                .GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
        }

        private static QuestionnaireResponse Note(string noteId)
        {
            var launch = new LaunchContext(new Ref("Patient/" + Patient), new Ref($"Encounter/{Patient}-surgery"), new Ref("Practitioner/bench-surgeon"), DateTimeOffset.UtcNow, noteId);
            var qr = Populator.Populate(Template, launch, CaseEvidenceBuilder.Build(Chart()));
            NoteAnswers.CompleteCommon(qr);
            NoteAnswers.Neurectomy(qr, NoteAnswers.For(Nerve.GreaterOccipital, Side.Left));
            qr.Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed;
            return qr;
        }

        private static Resource[] Chart()
        {
            var p = new ResourceReference("Patient/" + Patient);
            return
            [
                new Patient { Id = Patient, Name = [new HumanName { Family = "Bench", Given = ["Classic"] }], BirthDate = "1979-02-03" },
                new Practitioner { Id = "bench-surgeon", Name = [new HumanName { Family = "Surgeon", Given = ["Bench"] }] },
                new Encounter { Id = Patient + "-surgery", Status = Encounter.EncounterStatus.Planned, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"), Subject = p },
                new Condition
                {
                    Id = Patient + "-on", Subject = p, Code = new CodeableConcept(Known.Systems.Icd10Cm, "M54.81", "Occipital neuralgia"),
                    ClinicalStatus = new CodeableConcept(Known.Systems.ConditionClinical, "active"),
                    VerificationStatus = new CodeableConcept(Known.Systems.ConditionVerification, "confirmed"),
                    BodySite = [new CodeableConcept(Known.Systems.Snomed, Known.Snomed.Left)], Onset = new FhirDateTime("2022-03"),
                },
                new Procedure
                {
                    Id = Patient + "-block", Status = EventStatus.Completed, Subject = p, Code = new CodeableConcept(Known.Systems.Cpt, "64405", null, "Left greater occipital nerve block"),
                    BodySite = [new CodeableConcept(Known.Systems.Snomed, Known.Snomed.Left)],
                    Performed = new FhirDateTime("2024-01-15"), Outcome = new CodeableConcept { Text = "80% relief for 8 hours" },
                },
                new DiagnosticReport { Id = Patient + "-mri", Status = DiagnosticReport.DiagnosticReportStatus.Final, Subject = p, Code = new CodeableConcept { Text = "MRI brain" }, Effective = new FhirDateTime("2023-06-01"), Conclusion = "Normal" },
                new MedicationStatement { Id = Patient + "-gaba", Status = MedicationStatement.MedicationStatusCodes.Stopped, Subject = p, Medication = new CodeableConcept { Text = "Gabapentin" } },
            ];
        }

        private static async Task Seed(IFhirStore store)
        {
            await store.PutAllAsync(Chart());
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            await _sandbox.StopAsync();
            await _sandbox.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The machine's 1-minute load average (the machine is shared: each figure is read with it).</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static string Option(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
