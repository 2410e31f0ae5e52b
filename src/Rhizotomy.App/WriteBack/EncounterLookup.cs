using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Rhizotomy.App.Ehr;
using Rhizotomy.App.Sessions;

namespace Rhizotomy.App.WriteBack;

/// <summary>One of the patient's encounters, for the surgeon to pick when the launch has none.</summary>
public sealed record EncounterChoice(string Reference, string? Type, string? Start, string? Status);

/// <summary>
/// The patient's encounters, read with the launch's token: the list the surgeon picks from, and
/// the check that a chosen encounter really is this patient's. Reads go through the EHR gateway, as the chart
/// reads do: its Firely client, its token handler and its resilience pipeline.
/// </summary>
public sealed class EncounterLookup(EhrClientFactory clients, ILogger<EncounterLookup> log)
{
    /// <summary>The encounter <paramref name="reference"/> names when it is one of the launch patient's; null when it is not (or cannot be read).</summary>
    public async Task<EncounterChoice?> FindOfPatientAsync(LaunchSession session, string reference, CancellationToken ct)
    {
        if (!IsReference(reference))
            return null;
        var encounter = await ReadAsync(session, (client, token) => client.ReadAsync<Encounter>(reference, ct: token), ct);
        return encounter?.Subject?.Reference is { } subject
            && (subject == "Patient/" + session.Patient || subject.EndsWith("/Patient/" + session.Patient, StringComparison.Ordinal))
            ? Choice(encounter)
            : null;
    }

    /// <summary>Whether <paramref name="reference"/> has the shape of a local Encounter reference (<c>Encounter/id</c>).</summary>
    public static bool IsReference(string? reference) =>
        reference is not null && reference.Split('/') is ["Encounter", var id] && System.Text.RegularExpressions.Regex.IsMatch(id, "^[A-Za-z0-9.-]{1,64}$");

    public async Task<IReadOnlyList<EncounterChoice>> ListAsync(LaunchSession session, CancellationToken ct) =>
        await TryListAsync(session, ct) ?? [];

    /// <summary>The patient's encounters; null when the EHR could not be read (down, refused), which an empty list would hide.</summary>
    public async Task<IReadOnlyList<EncounterChoice>?> TryListAsync(LaunchSession session, CancellationToken ct)
    {
        var bundle = await ReadAsync(session, (client, token) => client.SearchAsync<Encounter>(["patient=" + ChartReader.PatientReference(session.Patient)], pageSize: 100, ct: token), ct);
        if (bundle is null)
            return null;
        return [.. bundle.Entry.Select(e => e.Resource).OfType<Encounter>().Select(Choice)];
    }

    private static EncounterChoice Choice(Encounter e) => new(
        "Encounter/" + e.Id,
        e.Type.Select(t => t.Text ?? t.Coding.FirstOrDefault()?.Display).FirstOrDefault(t => t is not null),
        e.Period?.Start,
        // The FHIR code (in-progress, entered-in-error), not the C# enum name.
        e.Status is { } status ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(status) : null);

    /// <summary>How an encounter is named to the surgeon and in the note: type, date (and time when known), status in words.</summary>
    public static string Label(EncounterChoice c)
    {
        var type = string.IsNullOrWhiteSpace(c.Type) ? "Encounter (type not recorded)" : c.Type.Trim();
        return type + ", " + When(c.Start) + ", " + StatusWords(c.Status);
    }

    /// <summary>Newest first; encounters without a start date last.</summary>
    public static IReadOnlyList<EncounterChoice> NewestFirst(IEnumerable<EncounterChoice> choices) =>
        [.. choices.OrderByDescending(c => StartOf(c.Start) ?? DateTimeOffset.MinValue).ThenBy(c => c.Reference, StringComparer.Ordinal)];

    private static DateTimeOffset? StartOf(string? start)
    {
        if (string.IsNullOrEmpty(start))
            return null;
        var full = start.Length switch { 4 => start + "-01-01", 7 => start + "-01", _ => start };
        return DateTimeOffset.TryParse(full, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : null;
    }

    // The date as the EHR wrote it (its own clock), not converted: the surgeon compares it with what the EHR shows.
    private static string When(string? start)
    {
        if (string.IsNullOrEmpty(start))
            return "date not recorded";
        if (start.Length >= 10 && DateTime.TryParseExact(start[..10], "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var day))
        {
            var text = day.ToString("d MMM yyyy", System.Globalization.CultureInfo.InvariantCulture);
            return start.Length >= 16 && start[10] == 'T' ? text + " " + start[11..16] : text;
        }
        return start.Length <= 20 ? start : start[..20];
    }

    private static string StatusWords(string? status) => status switch
    {
        "planned" => "planned",
        "arrived" => "arrived",
        "triaged" => "triaged",
        "in-progress" => "in progress",
        "onleave" => "on leave",
        "finished" => "finished",
        "cancelled" => "cancelled",
        "entered-in-error" => "entered in error",
        _ => "status unknown",
    };

    private async Task<T?> ReadAsync<T>(LaunchSession session, Func<FhirClient, CancellationToken, Task<T?>> read, CancellationToken ct) where T : Resource
    {
        using var connection = clients.Create(session);
        try
        {
            return await read(connection.Client, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && ChartReader.IsEhrFailure(e))
        {
            log.LogWarning("Encounter read failed: {Error}", e is FhirOperationException f ? "HTTP " + (int)f.Status : e.GetType().Name);
            return null;
        }
    }
}
