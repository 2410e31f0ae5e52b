using System.Text;
using Hl7.Fhir.Model;
using Rhizotomy.App.Launch;
using Rhizotomy.App.WriteBack;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.App.Ehr;

/// <summary>How one line of an <c>ehr-check</c> came out: <c>fail</c> means the app cannot work with that EHR.</summary>
public enum CheckLevel { Ok, Info, Warn, Fail }

/// <summary>One line of the readiness report: what was checked, the result in a word or two, and the detail.</summary>
public sealed record CheckLine(string Check, CheckLevel Level, string Result, string? Detail = null);

/// <summary>The readiness report of one EHR for this app (<c>rhizotomy ehr-check</c>). No PHI, no tokens.</summary>
public sealed record EhrCheckReport(string Issuer, IReadOnlyList<CheckLine> Lines, string? Strategy)
{
    public bool CanWork => Lines.All(l => l.Level != CheckLevel.Fail);

    /// <summary>The first reason the app cannot work with the EHR, or null.</summary>
    public string? Reason => Lines.FirstOrDefault(l => l.Level == CheckLevel.Fail) is { } f ? $"{f.Check}: {f.Result}" + (f.Detail is null ? "" : $" ({f.Detail})") : null;
}

/// <summary>
/// What <c>rhizotomy ehr-check</c> reports, computed with the app's own code: SMART discovery (<see cref="SmartDiscovery"/>),
/// the CapabilityStatement read tolerantly through the gateway (<see cref="WritePlanner.ReadCapabilityAsync"/>), the scopes the
/// app asks (<see cref="Scopes"/>), the write plan (<see cref="WritePlan.Choose"/>) and, for the write test, the app's writer
/// (<see cref="EhrWriter"/>) with that plan.
/// </summary>
public sealed class EhrCheck(SmartDiscovery discovery, EhrClientFactory clients, EhrWriter writer, TokenClient tokens)
{
    /// <summary>The resource types the app reads, and whether it searches them: the app's own <see cref="Scopes.Read"/>.</summary>
    public static readonly IReadOnlyList<(string Type, bool Search)> Reads =
        [.. Scopes.Read.Select(ResourceScope).OfType<(string Type, string Ops)>().Select(s => (s.Type, s.Ops.Contains('s', StringComparison.Ordinal)))];

    /// <summary>The resource types a note writes: the app's own <see cref="Scopes.Write"/>.</summary>
    public static readonly IReadOnlyList<string> Writes = [.. Scopes.Write.Select(ResourceScope).OfType<(string Type, string Ops)>().Select(s => s.Type)];

    /// <summary>The resource type and operations of a resource scope (<c>patient/Condition.rs</c>), or null (<c>openid</c>).</summary>
    private static (string Type, string Ops)? ResourceScope(string scope)
    {
        var slash = scope.IndexOf('/');
        var dot = scope.LastIndexOf('.');
        return slash < 0 || dot < slash ? null : (scope[(slash + 1)..dot], scope[(dot + 1)..]);
    }

    /// <param name="writeTestPatient">A test patient's id: write a test document with the chosen strategy, read it back, delete it where allowed.</param>
    /// <param name="accessToken">The token for the write test; null: the registration's Backend Services credentials.</param>
    public async Task<EhrCheckReport> RunAsync(EhrRegistration ehr, string? writeTestPatient, string? accessToken, CancellationToken ct)
    {
        var lines = new List<CheckLine>();
        var issuer = ehr.Issuer.TrimEnd('/');

        var smart = await discovery.DiscoverAsync(ehr, ct);
        if (smart is null)
            lines.Add(new("SMART discovery", CheckLevel.Fail, "not found", "no usable .well-known/smart-configuration or oauth-uris in /metadata"));
        else
        {
            lines.Add(new("SMART discovery", CheckLevel.Ok, "found", $"authorize {smart.AuthorizationEndpoint}; token {smart.TokenEndpoint}"));
            lines.Add(new("SMART capabilities", CheckLevel.Info, smart.Capabilities is { Count: > 0 } caps ? string.Join(" ", caps) : "none listed"));
            var s256 = smart.CodeChallengeMethods?.Contains("S256") == true;
            lines.Add(new("PKCE S256", s256 ? CheckLevel.Ok : CheckLevel.Warn, s256 ? "offered" : "not listed",
                s256 ? null : "SMART 2.2 servers list S256 in code_challenge_methods_supported; the app always sends it"));
            var needed = Scopes.Read.Concat(Scopes.Write).SelectMany(s => smart.PermissionV2 || ehr.ScopeVersion == "v2" ? [s] : Scopes.ToV1(s)).Distinct().ToList();
            if (smart.ScopesSupported is { Count: > 0 } offered)
            {
                var missing = needed.Where(n => !Covered(n, offered)).ToList();
                lines.Add(new("Scopes", missing.Count == 0 ? CheckLevel.Ok : CheckLevel.Warn,
                    missing.Count == 0 ? $"all {needed.Count} offered" : $"{missing.Count} of {needed.Count} not listed", missing.Count == 0 ? null : string.Join(" ", missing)));
            }
            else
                lines.Add(new("Scopes", CheckLevel.Warn, "scopes_supported not listed", $"the app asks for {string.Join(" ", needed)}"));
            var backend = smart.Capabilities?.Contains("client-confidential-asymmetric") == true;
            lines.Add(new("Backend Services", CheckLevel.Info, backend ? "offered (client-confidential-asymmetric)" : "not offered",
                ehr.Backend is { IsConfigured: true } ? "a Backend registration is configured" : "no Backend registration configured"));
        }

        var read = await WritePlanner.ReadCapabilityAsync(clients, ehr.Issuer, ct);
        var statement = read.Statement;
        if (statement is null)
            lines.Add(new("CapabilityStatement", read.Reachable ? CheckLevel.Warn : CheckLevel.Fail, read.Reachable ? "not readable as FHIR" : "not reachable", read.Problem));
        else
        {
            // What the one read of /metadata skipped, by path without list positions.
            var skipped = (read.Skipped ?? []).Select(s => TolerantReadLog.Generic(s.Path)).Distinct().ToList();
            lines.Add(new("CapabilityStatement", skipped.Count == 0 ? CheckLevel.Ok : CheckLevel.Warn,
                skipped.Count == 0 ? "read" : $"read; {skipped.Count} part(s) skipped", skipped.Count == 0 ? null : string.Join(", ", skipped)));
            var version = statement.FhirVersion is { } v ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(v) : null;
            var r4 = version?.StartsWith("4.0", StringComparison.Ordinal) == true;
            lines.Add(new("FHIR version", r4 ? CheckLevel.Ok : version is null ? CheckLevel.Warn : CheckLevel.Fail, version ?? "not stated", r4 ? null : "the app speaks FHIR R4 (4.0.x)"));
        }
        var rest = statement?.Rest.FirstOrDefault(r => r.Mode == CapabilityStatement.RestfulCapabilityMode.Server);
        var types = rest?.Resource.Where(r => r.Type is not null).GroupBy(r => r.Type!).ToDictionary(g => g.Key, g => g.First()) ?? [];
        bool Can(string type, CapabilityStatement.TypeRestfulInteraction i) => types.TryGetValue(type, out var r) && r.Interaction.Any(x => x.Code == i);

        if (rest is not null)
        {
            foreach (var (type, search) in Reads)
            {
                var readOk = Can(type, CapabilityStatement.TypeRestfulInteraction.Read);
                var searchOk = !search || Can(type, CapabilityStatement.TypeRestfulInteraction.SearchType);
                // Without these the app has no case to show (Scopes.ChartMinimum).
                var essential = Scopes.ChartMinimum.Any(m => m.ResourceType == type && (search || !m.Search));
                lines.Add(new($"Read {type}", readOk && searchOk ? CheckLevel.Ok : essential ? CheckLevel.Fail : CheckLevel.Warn,
                    (readOk ? "read" : "no read") + (search ? searchOk ? ", search" : ", no search" : "")));
            }
            foreach (var type in Writes)
            {
                var interactions = new List<string>();
                if (Can(type, CapabilityStatement.TypeRestfulInteraction.Create)) interactions.Add("create");
                if (types.TryGetValue(type, out var r) && r.ConditionalCreate == true) interactions.Add("conditional create");
                if (Can(type, CapabilityStatement.TypeRestfulInteraction.Update)) interactions.Add("update");
                if (Can(type, CapabilityStatement.TypeRestfulInteraction.Delete)) interactions.Add("delete");
                var level = type == "DocumentReference" && !interactions.Contains("create") ? CheckLevel.Fail : CheckLevel.Info;
                lines.Add(new($"Write {type}", level, interactions.Count == 0 ? "none" : string.Join(", ", interactions)));
            }
            var transaction = rest.Interaction.Any(i => i.Code == CapabilityStatement.SystemRestfulInteraction.Transaction);
            var limit = WritePlan.StatedLimit(rest.Documentation);
            lines.Add(new("Transaction", CheckLevel.Info, transaction ? "supported" : "not supported",
                transaction && limit is not null ? $"at most {limit.Max} {(limit.ConditionalOnly ? "conditional " : "")}entries (stated in rest.documentation): larger notes go as individual creates" : null));
        }

        var plan = WritePlan.Choose(statement, ehr);
        lines.Add(new("Encounter required", CheckLevel.Info, plan.RequiresEncounter ? "yes" : "no",
            plan.RequiresEncounter ? "the note page asks for the encounter when the launch has none" : null));
        lines.Add(new("Write strategy", CheckLevel.Ok, plan.StrategyName, $"from {plan.Source}: {plan.Why}; the ladder moves down if the EHR refuses its shape"));

        if (writeTestPatient is not null)
            lines.Add(await WriteTestAsync(ehr, smart, plan, writeTestPatient, accessToken, ct));
        return new EhrCheckReport(issuer, lines, plan.StrategyName);
    }

    /// <summary>
    /// Whether the scopes a server lists grant what <paramref name="scope"/> asks: the scope itself, or one of the same
    /// context whose resource type is it or <c>*</c> and whose permissions include its own, in either syntax
    /// (<c>patient/*.rs</c> and <c>patient/*.read</c> cover <c>patient/Condition.rs</c>; <c>patient/*.cruds</c>,
    /// <c>patient/*.*</c> or <c>patient/*.read</c> with <c>patient/*.write</c> cover <c>patient/DocumentReference.crus</c>).
    /// A scope narrowed by a query (<c>patient/Observation.rs?category=...</c>) covers only the same scope.
    /// </summary>
    public static bool Covered(string scope, IReadOnlyCollection<string> offered)
    {
        if (offered.Contains(scope))
            return true;
        if (ResourceScope(scope) is not { } needed || Permissions(needed.Ops) is not { } wanted)
            return false;
        var context = scope[..scope.IndexOf('/')];
        var granted = new HashSet<char>();
        foreach (var candidate in offered)
        {
            if (!candidate.StartsWith(context + "/", StringComparison.Ordinal) || ResourceScope(candidate) is not { } o
                || (o.Type != "*" && o.Type != needed.Type) || Permissions(o.Ops) is not { } letters)
                continue;
            granted.UnionWith(letters);
        }
        return wanted.All(granted.Contains);
    }

    /// <summary>The SMART v2 permission letters of a scope's operations (<c>read</c> → r and s, <c>write</c> → c, u and d, <c>*</c> → all), or null.</summary>
    private static string? Permissions(string ops) => ops switch
    {
        "*" => "cruds",
        "read" => "rs",
        "write" => "cud",
        _ when ops.Length > 0 && ops.All(c => "cruds".Contains(c, StringComparison.Ordinal)) => ops,
        _ => null,
    };

    /// <summary>
    /// A real round trip against a test patient with the chosen strategy: a test document (and its Provenance, when the
    /// strategy writes more than the document) sent by the app's writer, read back, then deleted where the EHR allows.
    /// </summary>
    private async Task<CheckLine> WriteTestAsync(EhrRegistration ehr, SmartConfiguration? smart, WritePlan plan, string patient, string? accessToken, CancellationToken ct)
    {
        var token = accessToken;
        if (token is null && ehr.Backend is { IsConfigured: true } && smart?.TokenEndpoint is { } endpoint)
        {
            try
            {
                token = (await tokens.ClientCredentialsAsync(ehr, endpoint, ct)).AccessToken;
            }
            catch (Exception e) when (e is TokenRequestException or HttpRequestException or TaskCanceledException)
            {
                return new CheckLine("Write test", CheckLevel.Fail, "no token", "the Backend Services token request failed: " + (e is TokenRequestException t ? t.Error : e.GetType().Name));
            }
        }
        if (token is null)
            return new CheckLine("Write test", CheckLevel.Fail, "no token", "configure a Backend registration for the EHR, or give a token in RHIZOTOMY_EHR_TOKEN");

        var id = "ehr-check-" + Guid.NewGuid().ToString("N")[..12];
        var note = TestNote(id, patient, ehr.Custodian);
        using var connection = clients.Create(ehr.Issuer, token);
        if (plan.RequiresEncounter && await LatestEncounterAsync(connection, ehr.Issuer, patient, ct) is { } encounter)
            note.Entry.Select(e => e.Resource).OfType<DocumentReference>().Single().Context!.Encounter.Add(new ResourceReference(encounter));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        // A plan that needs an encounter gets the patient's latest (above); without one the EHR says whether it takes the note.
        var result = await writer.SendAsync(new WriteRequest(ehr.Issuer, token, id, patient, plan with { RequiresEncounter = false }, note, new Dictionary<string, string>(), LookFirst: false),
            _ => System.Threading.Tasks.Task.CompletedTask, ct);
        var elapsed = (int)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (result.Kind != AttemptKind.Written)
        {
            var said = result.Outcome?.Issue.FirstOrDefault()?.Diagnostics ?? result.Outcome?.Issue.FirstOrDefault()?.Details?.Text;
            return new CheckLine("Write test", CheckLevel.Fail, $"{plan.StrategyName}: {result.Kind.ToString().ToLowerInvariant()} ({result.Reason})", said);
        }

        var readBack = 0;
        var deleted = 0;
        foreach (var reference in result.Written.Values.Distinct())
        {
            using (var get = await connection.Http.GetAsync(ehr.Issuer.TrimEnd('/') + "/" + reference, ct))
                if (get.IsSuccessStatusCode)
                    readBack++;
        }
        // Provenance first: it points at the document.
        foreach (var reference in result.Written.Values.Distinct().OrderBy(r => r.StartsWith("Provenance/", StringComparison.Ordinal) ? 0 : 1))
        {
            using var delete = await connection.Http.DeleteAsync(ehr.Issuer.TrimEnd('/') + "/" + reference, ct);
            if (delete.IsSuccessStatusCode)
                deleted++;
        }
        var count = result.Written.Values.Distinct().Count();
        return new CheckLine("Write test", readBack == count ? CheckLevel.Ok : CheckLevel.Fail,
            $"{plan.StrategyName}: written {count}, read back {readBack}, deleted {deleted}",
            $"{result.RoundTrips} round trips, {elapsed} ms" + (deleted < count ? "; the EHR did not allow deleting the rest: remove them from the test patient by hand" : ""));
    }

    /// <summary>The test patient's most recent encounter (<c>Encounter/12</c>), for an EHR that files notes only against one.</summary>
    private static async Task<string?> LatestEncounterAsync(EhrConnection connection, string issuer, string patient, CancellationToken ct)
    {
        using var response = await connection.Http.GetAsync($"{issuer.TrimEnd('/')}/Encounter?patient={Uri.EscapeDataString(ChartReader.PatientReference(patient))}", ct);
        if (!response.IsSuccessStatusCode)
            return null;
        var bundle = TolerantFhir.Parse(await response.Content.ReadAsStringAsync(ct), out _) as Bundle;
        return bundle?.Entry.Select(e => e.Resource).OfType<Encounter>().Where(e => e.Id is not null)
            .OrderByDescending(e => e.Period?.Start, StringComparer.Ordinal).FirstOrDefault() is { } latest ? "Encounter/" + latest.Id : null;
    }

    /// <summary>A test note for the write test: a plain-text DocumentReference and its Provenance, as a transaction Bundle like a composed note.</summary>
    private static Bundle TestNote(string id, string patient, string? custodian)
    {
        var docUrl = "urn:uuid:" + Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;
        var document = new DocumentReference
        {
            Status = DocumentReferenceStatus.Current,
            DocStatus = CompositionStatus.Final,
            Identifier = [new Identifier(Known.NoteIdentifierSystem, id)],
            Type = new CodeableConcept(Known.Systems.Loinc, Known.Loinc.SurgicalOperationNote, "Surgical operation note", null),
            Category = [new CodeableConcept(Known.Systems.UsCoreDocumentReferenceCategory, "clinical-note")],
            Subject = new ResourceReference("Patient/" + patient),
            Date = now,
            Custodian = custodian is null ? null : new ResourceReference(custodian),
            Description = "rhizotomy ehr-check write test: safe to delete",
            Content = [new DocumentReference.ContentComponent
            {
                Attachment = new Attachment { ContentType = Known.Media.PlainText, Data = Encoding.UTF8.GetBytes("Write test of the rhizotomy app's ehr-check (°C, Zoë): safe to delete."), Title = "ehr-check" },
                Format = new Coding(Known.Systems.IheFormatCode, Known.Media.MimeTypeSufficient),
            }],
            Context = new DocumentReference.ContextComponent { Period = new Period(new FhirDateTime(now.AddMinutes(-1)), new FhirDateTime(now)) },
        };
        var provenance = new Provenance
        {
            Target = [new ResourceReference(docUrl)],
            Recorded = now,
            Agent = [new Provenance.AgentComponent
            {
                Type = new CodeableConcept(Known.Systems.ProvenanceParticipantType, "author"),
                Who = new ResourceReference { Display = "rhizotomy ehr-check" },
            }],
        };
        var search = "identifier=" + Uri.EscapeDataString(Known.NoteIdentifierSystem + "|" + id);
        return new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new Bundle.EntryComponent { FullUrl = docUrl, Resource = document, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "DocumentReference", IfNoneExist = search } },
                new Bundle.EntryComponent { FullUrl = "urn:uuid:" + Guid.NewGuid(), Resource = provenance, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Provenance" } },
            ],
        };
    }
}

/// <summary>The services <see cref="EhrCheck"/> needs outside the web app (the CLI): the app's own gateway, discovery and writer.</summary>
public static class EhrCheckServices
{
    /// <summary>A provider with the app's EHR gateway (same resilience pipeline), SMART discovery, token client and writer, bound to <paramref name="configuration"/>'s <c>App</c> section.</summary>
    public static ServiceProvider Create(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMemoryCache();
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<AppOptions>().Bind(configuration.GetSection(AppOptions.Section));
        services.AddOptions<WriteBackOptions>().Bind(configuration.GetSection(WriteBackOptions.Section));
        LaunchEndpoints.AddSmartClients(services);
        EhrGateway.AddResilience(services.AddHttpClient(EhrClientFactory.HttpClientName));
        services.AddSingleton<TolerantReadLog>();
        services.AddSingleton<EhrClientFactory>();
        services.AddSingleton<EhrWriter>();
        services.AddSingleton<EhrCheck>();
        return services.BuildServiceProvider();
    }
}
