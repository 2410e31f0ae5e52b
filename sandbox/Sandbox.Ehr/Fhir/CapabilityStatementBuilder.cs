using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Sandbox.Ehr.Auth;
using Task = System.Threading.Tasks.Task;

namespace Sandbox.Ehr.Fhir;

/// <summary>
/// The CapabilityStatement of the current mode: generated from the same search parameter table
/// the indexer uses and the same mode rules the engine enforces, so it cannot drift from them.
/// </summary>
public static class CapabilityStatementBuilder
{
    private static readonly ConcurrentDictionary<(EhrMode Mode, string Origin, int MaxConditional, bool Wild), string> Cache = new();

    public static async Task Handle(HttpContext http, FhirServerOptions options, SmartUrls urls)
    {
        var origin = urls.Origin(http);
        var json = Cache.GetOrAdd((options.Mode, origin, options.StateMaxConditionalEntries ? options.MaxConditionalEntries : 0, options.WildMetadata), key =>
        {
            var statement = Build(key.Mode, key.Origin, key.MaxConditional);
            return key.Wild ? Wild(statement) : FhirRepository.Serialize(statement);
        });
        http.Response.ContentType = FhirEndpoints.FhirJson + "; charset=utf-8";
        await http.Response.WriteAsync(json, http.RequestAborted);
    }

    /// <summary>
    /// The statement as some servers in the wild send it (<c>Sandbox:Fhir:WildMetadata</c>): serialised
    /// by Firely, then patched as JSON with what Firely would never write: a dateTime without a time
    /// zone (<c>date</c>), an unknown vendor element (<c>rest[0].vendorCapabilities</c>), an empty
    /// array (<c>operation: []</c> on DocumentReference) and an interaction code that is not R4's
    /// (<c>search</c> on DocumentReference). A tolerant reader keeps the rest.
    /// </summary>
    public static string Wild(CapabilityStatement statement)
    {
        var root = JsonNode.Parse(FhirRepository.Serialize(statement))!.AsObject();
        root["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        var rest = root["rest"]![0]!.AsObject();
        rest["vendorCapabilities"] = new JsonObject { ["asyncSearch"] = true, ["build"] = "2026.1" };
        var document = rest["resource"]!.AsArray().Single(r => (string?)r!["type"] == "DocumentReference")!.AsObject();
        document["operation"] = new JsonArray();
        document["interaction"]!.AsArray().Add(new JsonObject { ["code"] = "search" });
        return root.ToJsonString();
    }

    public static CapabilityStatement Build(EhrMode mode, string origin, int maxConditionalEntries = 0)
    {
        var bundles = mode != EhrMode.EpicLike;
        var limit = maxConditionalEntries > 0 ? $" A transaction may hold at most {maxConditionalEntries} conditional entries." : "";
        var rest = new CapabilityStatement.RestComponent
        {
            Mode = CapabilityStatement.RestfulCapabilityMode.Server,
            Documentation = $"Sandbox EHR in {FhirServerOptions.ModeName(mode)} mode.{limit}",
            Security = Security(origin),
        };
        if (bundles)
        {
            rest.Interaction.Add(new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.Transaction });
            rest.Interaction.Add(new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.Batch });
        }
        var revIncludes = SearchParameters.AllReferenceParameters()
            .SelectMany(p => p.Targets.Select(t => (Target: t, Include: $"{p.ResourceType}:{p.Name}")))
            .ToLookup(x => x.Target, x => x.Include);
        foreach (var type in ModelInfo.SupportedResources.Where(FhirEngine.IsKnownType).Order(StringComparer.Ordinal))
        {
            rest.Resource.Add(Resource(mode, type, revIncludes[type]));
        }
        return new CapabilityStatement
        {
            Status = PublicationStatus.Active,
            Date = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            Kind = CapabilityStatementKind.Instance,
            Name = "SandboxEhr",
            Title = "Rhizotomy sandbox EHR",
            Software = new CapabilityStatement.SoftwareComponent { Name = $"Rhizotomy sandbox EHR ({FhirServerOptions.ModeName(mode)})" },
            Implementation = new CapabilityStatement.ImplementationComponent { Description = "Local sandbox EHR for development and tests", Url = origin + "/fhir" },
            FhirVersion = FHIRVersion.N4_0_1,
            Format = [FhirEndpoints.FhirJson, "application/json"],
            Rest = [rest],
        };
    }

    private static CapabilityStatement.SecurityComponent Security(string origin) => new()
    {
        Cors = true,
        Service = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR", "SMART-on-FHIR")],
        Description = "SMART App Launch 2.x: scopes v1 and v2 (patient/, user/, system/).",
        Extension =
        [
            new Extension
            {
                Url = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                Extension =
                [
                    new Extension("authorize", new FhirUri(origin + "/auth/authorize")),
                    new Extension("token", new FhirUri(origin + "/auth/token")),
                    new Extension("introspect", new FhirUri(origin + "/auth/introspect")),
                ],
            },
        ],
    };

    private static CapabilityStatement.ResourceComponent Resource(EhrMode mode, string type, IEnumerable<string> revIncludes)
    {
        var component = new CapabilityStatement.ResourceComponent
        {
            Type = type,
            Versioning = CapabilityStatement.ResourceVersionPolicy.Versioned,
            ReadHistory = true,
            UpdateCreate = true,
            ConditionalCreate = mode != EhrMode.EpicLike,
            ConditionalUpdate = false,
            ConditionalDelete = CapabilityStatement.ConditionalDeleteStatus.NotSupported,
        };
        var interactions = new List<CapabilityStatement.TypeRestfulInteraction>
        {
            CapabilityStatement.TypeRestfulInteraction.Read,
            CapabilityStatement.TypeRestfulInteraction.Vread,
            CapabilityStatement.TypeRestfulInteraction.Update,
            CapabilityStatement.TypeRestfulInteraction.Delete,
            CapabilityStatement.TypeRestfulInteraction.HistoryInstance,
            CapabilityStatement.TypeRestfulInteraction.SearchType,
        };
        if (!(mode == EhrMode.EpicLike && type == "Procedure"))
        {
            interactions.Add(CapabilityStatement.TypeRestfulInteraction.Create);
        }
        component.Interaction = interactions.Select(i => new CapabilityStatement.ResourceInteractionComponent { Code = i }).ToList();
        component.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = "_id", Type = SearchParamType.Token, Definition = "http://hl7.org/fhir/SearchParameter/Resource-id" });
        component.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = "_lastUpdated", Type = SearchParamType.Date, Definition = "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated" });
        foreach (var parameter in SearchParameters.For(type).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            component.SearchParam.Add(new CapabilityStatement.SearchParamComponent
            {
                Name = parameter.Name,
                Definition = parameter.Url,
                Type = parameter.Kind switch
                {
                    IndexKind.Token => SearchParamType.Token,
                    IndexKind.Reference => SearchParamType.Reference,
                    IndexKind.Date => SearchParamType.Date,
                    _ => SearchParamType.String,
                },
            });
            if (parameter.Kind == IndexKind.Reference)
            {
                component.SearchInclude = component.SearchInclude.Append($"{type}:{parameter.Name}").ToList();
            }
        }
        component.SearchRevInclude = revIncludes.Distinct().Order(StringComparer.Ordinal).ToList();
        if (mode == EhrMode.EpicLike && type == "DocumentReference")
        {
            component.Documentation = "create: text/plain content only, context.encounter of the same patient, docStatus final or preliminary (else 422).";
        }
        else if (mode == EhrMode.OracleLike && type == "DocumentReference")
        {
            component.Documentation = "create: exactly one content, status current, docStatus final, author = the token's practitioner, context.period.end, dateTimes with a time (else 422).";
        }
        else if (mode == EhrMode.OracleLike && type == "Procedure")
        {
            component.Documentation = "create: status completed only (else 422).";
        }
        return component;
    }
}
