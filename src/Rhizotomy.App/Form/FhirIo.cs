using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.App.Sessions;

namespace Rhizotomy.App.Form;

/// <summary>FHIR JSON in and out of the API: <c>application/fhir+json</c> (plain <c>application/json</c> accepted), bad input as OperationOutcome.</summary>
public static class FhirIo
{
    public const string FhirJson = "application/fhir+json";

    // A filled template is a few tens of kilobytes; far more is not one.
    private const int MaxBodyBytes = 1024 * 1024;

    public static IResult Ok(Resource resource, int status = StatusCodes.Status200OK) =>
        Results.Content(new FhirJsonSerializer().SerializeToString(resource), FhirJson, Encoding.UTF8, status);

    /// <summary>The body as a <typeparamref name="T"/>; null body when <paramref name="optional"/> and empty; an error result otherwise.</summary>
    public static async Task<(T? Resource, IResult? Error)> ReadAsync<T>(HttpRequest request, bool optional, CancellationToken ct) where T : Resource
    {
        var type = typeof(T).Name;
        if (request.ContentLength is > MaxBodyBytes)
            return (null, TooLarge());
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            var buffer = new char[MaxBodyBytes + 1];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = await reader.ReadAsync(buffer.AsMemory(read, buffer.Length - read), ct)) > 0)
                read += n;
            if (read > MaxBodyBytes)
                return (null, TooLarge());
            body = new string(buffer, 0, read);
        }
        if (string.IsNullOrWhiteSpace(body))
        {
            return optional
                ? (null, null)
                : (null, ApiErrors.Outcome(StatusCodes.Status400BadRequest, OperationOutcome.IssueType.Required, $"The request body must be a FHIR {type} (JSON)."));
        }
        var mediaType = request.ContentType?.Split(';')[0].Trim();
        if (mediaType is not null && !mediaType.Equals(FhirJson, StringComparison.OrdinalIgnoreCase) && !mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, ApiErrors.Outcome(StatusCodes.Status415UnsupportedMediaType, OperationOutcome.IssueType.NotSupported,
                $"Send the {type} as {FhirJson} (or application/json)."));
        }
        try
        {
            var resource = new FhirJsonDeserializer(new DeserializerSettings()).DeserializeResource(body);
            if (resource is T typed)
                return (typed, null);
            return (null, ApiErrors.Outcome(StatusCodes.Status400BadRequest, OperationOutcome.IssueType.Invalid,
                $"The request body is a {resource.TypeName}; this operation takes a {type}."));
        }
        catch (DeserializationFailedException e)
        {
            // Firely's messages name elements and positions, not values: safe to pass on, and they help.
            var first = e.Exceptions.Select(x => x.Message).FirstOrDefault() ?? "it could not be read";
            return (null, ApiErrors.Outcome(StatusCodes.Status400BadRequest, OperationOutcome.IssueType.Structure,
                $"The request body is not a valid FHIR {type}: {first}"));
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or ArgumentException or InvalidOperationException)
        {
            return (null, ApiErrors.Outcome(StatusCodes.Status400BadRequest, OperationOutcome.IssueType.Structure,
                $"The request body is not valid JSON; send a FHIR {type}."));
        }
    }

    private static IResult TooLarge() => ApiErrors.Outcome(StatusCodes.Status413PayloadTooLarge, OperationOutcome.IssueType.TooLong,
        "The request body is larger than 1 MB; a filled template is far smaller.");
}
