using System.Diagnostics;
using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Microsoft.Extensions.Options;
using Rhizotomy.App.Launch;
using Rhizotomy.App.Sessions;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Evidence;

namespace Rhizotomy.App.Ehr;

/// <summary>Who the page is about and who is documenting: only what the UI shows.</summary>
public sealed record PersonSummary(string Reference, string Name, string? BirthDate, string? Gender);

/// <summary>The encounter in context.</summary>
public sealed record EncounterSummary(string Reference, string? Type, string? Start, string? Status);

/// <summary>What the app keeps from one chart read: summaries, the case evidence, and what could not be read.</summary>
/// <param name="Warnings">Sentences for the surgeon (failed reads, scopes not granted, pages not followed); wording, not data.</param>
public sealed record ChartSnapshot(
    PersonSummary? Patient,
    PersonSummary? Practitioner,
    EncounterSummary? Encounter,
    CaseEvidence Evidence,
    IReadOnlyList<string> Warnings,
    int RoundTrips,
    int ResourcesRead,
    DateTimeOffset ReadAt)
{
    /// <summary>
    /// What the EHR failed to give (<c>reports</c>, <c>the patient</c>): each read or search that
    /// ended in an error, a timeout or an unreadable answer. Not what was not granted or not followed.
    /// </summary>
    public IReadOnlyList<string> FailedReads { get; init; } = [];

    /// <summary>False when a read failed (not when it was not granted): such a snapshot is not kept, the next view reads again.</summary>
    public bool Complete => FailedReads.Count == 0;
}

/// <summary>
/// The one parallel wave of chart reads after the token: Patient, the documenting Practitioner,
/// the Encounter in context, and every Condition, Procedure, medication and report of the patient
/// (following <c>next</c> links), each only when its scope was granted.
/// </summary>
public sealed partial class ChartReader(EhrClientFactory clients, IOptions<AppOptions> options, TimeProvider clock, ILogger<ChartReader> log,
    EvidenceCodeLists? lists = null)
{
    public async Task<ChartSnapshot> ReadAsync(LaunchSession session, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var granted = new GrantedScopes(session.GrantedScope);
        using var connection = clients.Create(session);
        var client = connection.Client;

        var findings = new Findings();
        var patientId = session.Patient;
        Task<Patient?> patient = patientId is not null && granted.CanRead("Patient")
            ? Read<Patient>(client, "Patient/" + patientId, "the patient", findings, ct)
            : System.Threading.Tasks.Task.FromResult<Patient?>(null);
        // Only a Practitioner on this EHR (relative reference) is read; anything else is shown, not followed.
        var practitionerRef = session.FhirUser is { } u && PractitionerReference().IsMatch(u) ? u : null;
        Task<Practitioner?> practitioner = practitionerRef is not null && granted.CanRead("Practitioner")
            ? Read<Practitioner>(client, practitionerRef, "the documenting practitioner", findings, ct)
            : System.Threading.Tasks.Task.FromResult<Practitioner?>(null);
        Task<Encounter?> encounter = session.Encounter is not null && granted.CanRead("Encounter")
            ? Read<Encounter>(client, "Encounter/" + session.Encounter, "the encounter", findings, ct)
            : System.Threading.Tasks.Task.FromResult<Encounter?>(null);

        var searches = new List<Task<List<Resource>>>();
        if (patientId is not null)
        {
            foreach (var (type, label) in new[]
            {
                ("Condition", "diagnoses"), ("Procedure", "procedures"), ("MedicationRequest", "medication orders"),
                ("MedicationStatement", "medication statements"), ("DiagnosticReport", "reports"),
                ("Observation", "observations (pain scores, block relief)"),
            })
            {
                if (granted.CanRead(type, search: true))
                    searches.Add(SearchAll(client, type, patientId, label, findings, ct));
                else
                    findings.Warn($"Not granted: {label} were not read.");
            }
        }

        await System.Threading.Tasks.Task.WhenAll(searches.Cast<System.Threading.Tasks.Task>().Append(patient).Append(practitioner).Append(encounter));
        var chart = searches.SelectMany(s => s.Result).ToList();
        var (warnings, failed) = findings.Snapshot();
        // The Patient goes in too (its birth date flags impossible dates); today is the app's clock.
        var evidence = CaseEvidenceBuilder.Build(patient.Result is { } p ? chart.Append(p) : chart, new CaseEvidenceOptions([])
        {
            Lists = lists,
            Today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime),
        });

        log.LogInformation("Chart read: {RoundTrips} round trips, {Resources} resources, {Warnings} warnings in {Elapsed} ms",
            connection.RoundTrips, chart.Count, warnings.Count, (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds);

        return new ChartSnapshot(
            Person(patient.Result), Person(practitioner.Result), Summary(encounter.Result), evidence,
            warnings, connection.RoundTrips, chart.Count, clock.GetUtcNow())
        {
            FailedReads = failed,
        };
    }

    /// <summary>What the parallel reads report, each under one lock: sentences for the surgeon, and the reads that failed.</summary>
    private sealed class Findings
    {
        private readonly List<string> _warnings = [];
        private readonly List<string> _failed = [];

        public void Warn(string warning)
        {
            lock (_warnings)
                _warnings.Add(warning);
        }

        public void Failed(string label, string status)
        {
            lock (_warnings)
            {
                _failed.Add(label);
                _warnings.Add($"Could not read {label} ({status}).");
            }
        }

        public (List<string> Warnings, List<string> Failed) Snapshot()
        {
            lock (_warnings)
                return ([.. _warnings], [.. _failed]);
        }
    }

    private async Task<T?> Read<T>(FhirClient client, string reference, string label, Findings findings, CancellationToken ct) where T : Resource
    {
        try
        {
            return await client.ReadAsync<T>(reference, ct: ct);
        }
        catch (Exception e) when (IsEhrFailure(e))
        {
            log.LogWarning("Read of a {Type} failed: {Status}", typeof(T).Name, Status(e));
            findings.Failed(label, Status(e));
            return null;
        }
    }

    /// <summary>
    /// The patient's reference as a search value: <c>Patient/{id}</c>, the typed form every server matches (a bare id is
    /// valid FHIR too, but Medplum's FHIR router, one independent server the tests run, matches nothing with it).
    /// </summary>
    public static string PatientReference(string? patientId) =>
        string.IsNullOrEmpty(patientId) || patientId.StartsWith("Patient/", StringComparison.Ordinal) ? patientId ?? "" : "Patient/" + patientId;

    private async Task<List<Resource>> SearchAll(FhirClient client, string type, string patientId, string label, Findings findings, CancellationToken ct)
    {
        var found = new List<Resource>();
        try
        {
            var bundle = await client.SearchAsync(type, ["patient=" + PatientReference(patientId)], pageSize: options.Value.PageSize, ct: ct);
            var pages = 1;
            while (bundle is not null)
            {
                found.AddRange(bundle.Entry
                    .Where(e => e.Resource is not null && e.Resource.TypeName == type && e.Search?.Mode is null or Bundle.SearchEntryMode.Match)
                    .Select(e => e.Resource!));
                if (bundle.NextLink is null)
                    break;
                if (pages >= options.Value.MaxPages)
                {
                    findings.Warn($"Only the first {pages} pages of {label} were read.");
                    break;
                }
                if (!SameServer(client.Endpoint, bundle.NextLink))
                {
                    findings.Warn($"The EHR's next page of {label} points at another server: not followed.");
                    break;
                }
                bundle = await client.ContinueAsync(bundle, ct: ct);
                pages++;
            }
        }
        catch (Exception e) when (IsEhrFailure(e))
        {
            log.LogWarning("Search of {Type} failed: {Status}", type, Status(e));
            findings.Failed(label, Status(e));
        }
        return found;
    }

    private static bool SameServer(Uri endpoint, Uri next)
    {
        var absolute = next.IsAbsoluteUri ? next : new Uri(endpoint, next);
        return absolute.AbsoluteUri.StartsWith(endpoint.AbsoluteUri.TrimEnd('/') + "/", StringComparison.OrdinalIgnoreCase)
            || absolute.AbsoluteUri.StartsWith(endpoint.AbsoluteUri.TrimEnd('/') + "?", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>What a failed EHR read throws (through the gateway's Firely client and resilience pipeline); anything else is a bug.</summary>
    public static bool IsEhrFailure(Exception e) =>
        e is FhirOperationException or HttpRequestException or TaskCanceledException or TimeoutException
            or Hl7.Fhir.Serialization.DeserializationFailedException or FormatException
            or Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException;

    private static string Status(Exception e) => e switch
    {
        FhirOperationException f => "HTTP " + (int)f.Status,
        HttpRequestException { StatusCode: HttpStatusCode code } => "HTTP " + (int)code,
        Polly.CircuitBreaker.BrokenCircuitException => "EHR unavailable",
        TaskCanceledException or TimeoutException or Polly.Timeout.TimeoutRejectedException => "timed out",
        _ => "unreadable answer",
    };

    private static PersonSummary? Person(Resource? r) => r switch
    {
        Patient p => new PersonSummary("Patient/" + p.Id, NameOf(p.Name), p.BirthDate, p.Gender?.ToString().ToLowerInvariant()),
        Practitioner p => new PersonSummary("Practitioner/" + p.Id, NameOf(p.Name), null, null),
        _ => null,
    };

    private static string NameOf(List<HumanName> names)
    {
        var name = names.FirstOrDefault(n => n.Use == HumanName.NameUse.Official) ?? names.FirstOrDefault();
        if (name is null)
            return "(no name recorded)";
        if (!string.IsNullOrWhiteSpace(name.Text))
            return name.Text;
        return string.Join(' ', name.Prefix.Concat(name.Given).Append(name.Family).Where(s => !string.IsNullOrWhiteSpace(s)));
    }

    private static EncounterSummary? Summary(Encounter? e) => e is null ? null : new EncounterSummary(
        "Encounter/" + e.Id,
        e.Type.Select(t => t.Text ?? t.Coding.FirstOrDefault()?.Display).FirstOrDefault(t => t is not null),
        e.Period?.Start,
        e.Status?.ToString());

    [System.Text.RegularExpressions.GeneratedRegex("^Practitioner/[A-Za-z0-9\\-\\.]{1,64}$")]
    private static partial System.Text.RegularExpressions.Regex PractitionerReference();
}
