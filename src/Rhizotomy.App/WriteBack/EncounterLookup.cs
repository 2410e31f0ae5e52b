using System.Net.Http.Headers;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.App.Sessions;

namespace Rhizotomy.App.WriteBack;

/// <summary>One of the patient's encounters, for the surgeon to pick when the launch has none.</summary>
public sealed record EncounterChoice(string Reference, string? Type, string? Start, string? Status);

/// <summary>
/// The patient's encounters, read with the launch's token: the list the surgeon picks from, and
/// the check that a chosen encounter really is this patient's.
/// </summary>
public sealed class EncounterLookup(IHttpClientFactory http, ILogger<EncounterLookup> log)
{
    public async Task<bool> IsEncounterOfPatientAsync(LaunchSession session, string reference, CancellationToken ct)
    {
        var parts = reference.Split('/');
        if (parts.Length != 2 || parts[0] != "Encounter" || !System.Text.RegularExpressions.Regex.IsMatch(parts[1], "^[A-Za-z0-9.-]{1,64}$"))
            return false;
        var encounter = await GetAsync(session, reference, ct) as Encounter;
        return encounter?.Subject?.Reference is { } subject
            && (subject == "Patient/" + session.Patient || subject.EndsWith("/Patient/" + session.Patient, StringComparison.Ordinal));
    }

    public async Task<IReadOnlyList<EncounterChoice>> ListAsync(LaunchSession session, CancellationToken ct)
    {
        if (await GetAsync(session, "Encounter?patient=" + Uri.EscapeDataString(session.Patient ?? "") + "&_count=100", ct) is not Bundle bundle)
            return [];
        return [.. bundle.Entry.Select(e => e.Resource).OfType<Encounter>().Select(e => new EncounterChoice(
            "Encounter/" + e.Id,
            e.Type.Select(t => t.Text ?? t.Coding.FirstOrDefault()?.Display).FirstOrDefault(t => t is not null),
            e.Period?.Start,
            e.Status?.ToString().ToLowerInvariant()))];
    }

    private async Task<Resource?> GetAsync(LaunchSession session, string relative, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, session.Issuer.TrimEnd('/') + "/" + relative);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.AccessToken);
        request.Headers.Accept.ParseAdd("application/fhir+json");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            using var response = await http.CreateClient(EhrWriter.HttpClientName).SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                log.LogWarning("Encounter read failed: HTTP {Status}", (int)response.StatusCode);
                return null;
            }
            return new FhirJsonDeserializer(new DeserializerSettings()).DeserializeResource(await response.Content.ReadAsStringAsync(timeout.Token));
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or TaskCanceledException or DeserializationFailedException or FormatException)
        {
            log.LogWarning("Encounter read failed: {Error}", e.GetType().Name);
            return null;
        }
    }
}
