using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Primitives;
using Sandbox.Ehr.Auth;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace Sandbox.Ehr.Fhir;

/// <summary>
/// The REST API under <c>/fhir</c>: format negotiation, SMART token presence, body limits and
/// parsing, Prefer handling; the interactions themselves live in <see cref="FhirEngine"/>.
/// </summary>
public static class FhirEndpoints
{
    public const string FhirJson = "application/fhir+json";
    private static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings());

    public static void Map(WebApplication app)
    {
        var fhir = app.MapGroup("/fhir");
        // {type:alpha} keeps these routes off literal paths such as /fhir/.well-known/smart-configuration.
        const string Type = "{type:alpha}";
        fhir.MapGet("/metadata", CapabilityStatementBuilder.Handle);
        fhir.MapPost("/", (HttpContext http) => Run(http, null, Body.Bundle, (engine, s, c, resource) => engine.ProcessBundle(s, c, (Bundle)resource!)));
        fhir.MapGet($"/{Type}", (HttpContext http, string type) => Run(http, type, Body.None, (engine, s, c, _) => engine.Search(s, c, type, Query(http))));
        fhir.MapPost($"/{Type}/_search", (HttpContext http, string type) => RunSearchPost(http, type));
        fhir.MapPost($"/{Type}", (HttpContext http, string type) =>
            Run(http, type, Body.Resource, (engine, s, c, resource) => engine.Create(s, c, type, resource!, Header(http, "If-None-Exist"))));
        fhir.MapGet($"/{Type}/{{id}}", (HttpContext http, string type, string id) => Run(http, type, Body.None, (engine, s, c, _) => engine.Read(s, c, type, id)));
        fhir.MapPut($"/{Type}/{{id}}", (HttpContext http, string type, string id) =>
            Run(http, type, Body.Resource, (engine, s, c, resource) => engine.Update(s, c, type, id, resource!, Header(http, "If-Match"))));
        fhir.MapDelete($"/{Type}/{{id}}", (HttpContext http, string type, string id) => Run(http, type, Body.None, (engine, s, c, _) => engine.Delete(s, c, type, id)));
        fhir.MapGet($"/{Type}/{{id}}/_history", (HttpContext http, string type, string id) => Run(http, type, Body.None, (engine, s, c, _) => engine.History(s, c, type, id)));
        fhir.MapGet($"/{Type}/{{id}}/_history/{{vid}}", (HttpContext http, string type, string id, string vid) =>
            Run(http, type, Body.None, (engine, s, c, _) => engine.VRead(s, c, type, id, vid)));
        fhir.Map("/{**rest}", Fallback);
    }

    private enum Body
    {
        None,
        Resource,
        Bundle,
    }

    private delegate FhirResult Interaction(FhirEngine engine, DbSession session, CallContext context, Resource? body);

    private static Task Fallback(HttpContext http, string? rest)
    {
        if (rest is not null && rest.StartsWith(".well-known", StringComparison.Ordinal))
        {
            http.Response.StatusCode = 404;
            return Task.CompletedTask;
        }
        var read = HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method);
        return !read
            ? WriteResult(http, FhirResult.Error(405, IssueType.NotSupported, $"{http.Request.Method} is not supported on this URL."))
            : WriteResult(http, FhirResult.Error(404, IssueType.NotFound, "No FHIR endpoint at this URL."));
    }

    private static async Task RunSearchPost(HttpContext http, string type)
    {
        if (!http.Request.HasFormContentType)
        {
            await WriteResult(http, FhirResult.Error(415, IssueType.NotSupported, "POST _search takes application/x-www-form-urlencoded parameters."));
            return;
        }
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var query = Query(http).Concat(form.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? "")))).ToList();
        await Run(http, type, Body.None, (engine, s, c, _) => engine.Search(s, c, type, query));
    }

    private static async Task Run(HttpContext http, string? type, Body body, Interaction interaction)
    {
        var services = http.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Sandbox.Ehr.Fhir");
        try
        {
            if (NegotiationFailure(http) is { } notAcceptable)
            {
                await WriteResult(http, notAcceptable);
                return;
            }
            var access = http.Features.Get<SmartAccess>();
            if (access is null)
            {
                http.Response.Headers.WWWAuthenticate = "Bearer";
                await WriteResult(http, FhirResult.Error(401, IssueType.Login, "A SMART access token is required (Authorization: Bearer ...)."));
                return;
            }
            Resource? resource = null;
            if (body != Body.None)
            {
                var (parsed, error) = await ReadBody(http, services.GetRequiredService<FhirServerOptions>());
                if (error is not null)
                {
                    await WriteResult(http, error);
                    return;
                }
                if (body == Body.Bundle && parsed is not Bundle)
                {
                    await WriteResult(http, FhirResult.Error(400, IssueType.Invalid, $"The base URL takes a transaction or batch Bundle, not a {parsed!.TypeName}."));
                    return;
                }
                resource = parsed;
            }
            var context = new CallContext
            {
                BaseUrl = BaseUrl(http),
                Policy = new AccessPolicy(access),
                EnforceMode = true,
                Lenient = Prefers(http, "handling=lenient"),
            };
            var engine = services.GetRequiredService<FhirEngine>();
            var result = await services.GetRequiredService<FhirDatabase>().InTransactionAsync(session =>
            {
                var outcome = interaction(engine, session, context, resource);
                // Bad input and refusals leave the store exactly as it was.
                session.RollbackRequested = outcome.IsError;
                return outcome;
            }, http.RequestAborted);
            await WriteResult(http, result);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            logger.LogError("FHIR {Method} on {Type} failed: {Error}", http.Request.Method, type, e.GetType().Name);
            await WriteResult(http, FhirResult.Error(500, IssueType.Exception, "The server failed to process the request."));
        }
    }

    private static FhirResult? NegotiationFailure(HttpContext http)
    {
        var format = http.Request.Query["_format"].ToString();
        if (format.Length > 0 && !IsJson(format) && format != "json")
        {
            return FhirResult.Error(406, IssueType.NotSupported, $"_format={format} is not supported: this server speaks JSON only.");
        }
        var accept = http.Request.Headers.Accept.ToString();
        if (accept.Length > 0 && format.Length == 0
            && !accept.Split(',').Select(a => a.Split(';')[0].Trim()).Any(a => IsJson(a) || a is "*/*" or "application/*"))
        {
            return FhirResult.Error(406, IssueType.NotSupported, $"Accept '{accept}' is not supported: this server speaks {FhirJson} only.");
        }
        return null;
    }

    private static bool IsJson(string mediaType) =>
        mediaType.Split(';')[0].Trim() is FhirJson or "application/json" or "json" or "application/json+fhir";

    private static async Task<(Resource? Resource, FhirResult? Error)> ReadBody(HttpContext http, FhirServerOptions options)
    {
        var contentType = http.Request.ContentType;
        if (contentType is null || !IsJson(contentType))
        {
            return (null, FhirResult.Error(415, IssueType.NotSupported, $"Content-Type '{contentType}' is not supported: send {FhirJson}."));
        }
        if (http.Request.ContentLength > options.MaxBodyBytes)
        {
            return (null, TooLarge(options));
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > options.MaxBodyBytes)
            {
                return (null, TooLarge(options));
            }
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (DecoderFallbackException)
        {
            return (null, FhirResult.Error(400, IssueType.Structure, "The body is not UTF-8."));
        }
        try
        {
            if (Deserializer.TryDeserializeResource(text, out var resource, out var issues) && resource is not null)
            {
                return (resource, null);
            }
            var messages = issues.Take(5).Select(i => i.Message).ToList();
            return (null, FhirResult.Error(400, IssueType.Structure, "The body is not a valid FHIR R4 JSON resource: " + string.Join(" | ", messages)));
        }
        catch (Exception e) when (e is JsonException or FormatException or DeserializationFailedException or InvalidOperationException or ArgumentException)
        {
            return (null, FhirResult.Error(400, IssueType.Structure, "The body is not valid FHIR JSON."));
        }
    }

    private static FhirResult TooLarge(FhirServerOptions options) =>
        FhirResult.Error(413, IssueType.TooLong, $"The body is larger than this server accepts ({options.MaxBodyBytes} bytes).");

    public static async Task WriteResult(HttpContext http, FhirResult result)
    {
        var response = http.Response;
        response.StatusCode = result.Status;
        response.Headers.CacheControl = "no-store";
        if (result.VersionId is { } version)
        {
            response.Headers.ETag = FhirEngine.ETag(version);
        }
        if (result.LastModified is { } modified)
        {
            response.Headers.LastModified = modified.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        }
        if (result.Location is { } location && (result.Status == 201 || result.IsWrite))
        {
            response.Headers.Location = $"{BaseUrl(http)}/{location}";
        }
        var body = result.Resource;
        if (result.IsWrite && !result.IsError)
        {
            if (Prefers(http, "return=minimal"))
            {
                body = null;
            }
            else if (Prefers(http, "return=OperationOutcome"))
            {
                body = FhirResult.Outcome(OperationOutcome.IssueSeverity.Information, IssueType.Informational, $"{FhirResult.ReasonPhrase(result.Status)}: {result.Location}");
            }
        }
        if (body is null)
        {
            return;
        }
        response.ContentType = FhirJson + "; charset=utf-8";
        await response.WriteAsync(FhirRepository.Serialize(body), http.RequestAborted);
    }

    /// <summary>The FHIR base of links and <c>Location</c>: the configured or listening origin, never an arbitrary <c>Host</c> header.</summary>
    public static string BaseUrl(HttpContext http) => http.RequestServices.GetRequiredService<SmartUrls>().FhirBase(http);

    private static List<KeyValuePair<string, string>> Query(HttpContext http) =>
        http.Request.Query.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? ""))).ToList();

    private static string? Header(HttpContext http, string name) =>
        http.Request.Headers.TryGetValue(name, out var value) && !StringValues.IsNullOrEmpty(value) ? value.ToString() : null;

    private static bool Prefers(HttpContext http, string preference) =>
        http.Request.Headers["Prefer"].SelectMany(v => (v ?? "").Split(',', ';')).Any(p => p.Trim().Equals(preference, StringComparison.OrdinalIgnoreCase));
}
