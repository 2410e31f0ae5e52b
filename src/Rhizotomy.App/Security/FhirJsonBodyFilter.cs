using Hl7.Fhir.Model;
using Rhizotomy.App.Sessions;

namespace Rhizotomy.App.Security;

/// <summary>
/// A body-taking API endpoint takes FHIR JSON only: a body sent without a Content-Type, or with any other than
/// <c>application/fhir+json</c> or <c>application/json</c> (parameters such as <c>charset</c> allowed), gets 415 and an
/// OperationOutcome before anything is read. An empty body passes on (the endpoint says what it needs).
/// </summary>
public sealed class FhirJsonBodyFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        var hasBody = request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        if (hasBody && !IsFhirJson(request.ContentType))
        {
            return ValueTask.FromResult<object?>(ApiErrors.Outcome(StatusCodes.Status415UnsupportedMediaType, OperationOutcome.IssueType.NotSupported,
                "Send the body as application/fhir+json (or application/json)."));
        }
        return next(context);
    }

    public static bool IsFhirJson(string? contentType)
    {
        var media = contentType?.Split(';')[0].Trim();
        return media is not null && (media.Equals("application/fhir+json", StringComparison.OrdinalIgnoreCase) || media.Equals("application/json", StringComparison.OrdinalIgnoreCase));
    }
}

public static class FhirJsonBodyFilterExtensions
{
    public static TBuilder RequireFhirJsonBody<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter<TBuilder, FhirJsonBodyFilter>();
}
