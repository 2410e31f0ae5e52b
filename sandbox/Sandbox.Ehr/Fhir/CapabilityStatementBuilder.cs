using System.Collections.Concurrent;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Sandbox.Ehr.Fhir;

/// <summary>
/// The CapabilityStatement of the current mode: generated from the same search parameter table
/// the indexer uses and the same mode rules the engine enforces, so it cannot drift from them.
/// </summary>
public static class CapabilityStatementBuilder
{
    private static readonly ConcurrentDictionary<(EhrMode, string), string> Cache = new();

    public static async Task Handle(HttpContext http, FhirServerOptions options)
    {
        var origin = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";
        var json = Cache.GetOrAdd((options.Mode, origin), key => FhirRepository.Serialize(Build(key.Item1, key.Item2)));
        if (options.MalformedCapability)
        {
            json = Malformed(json);
        }
        http.Response.ContentType = FhirEndpoints.FhirJson + "; charset=utf-8";
        await http.Response.WriteAsync(json, http.RequestAborted);
    }

    /// <summary>What tolerant clients must survive (<c>Sandbox:Fhir:MalformedCapability</c>): invalid FHIR JSON as seen in the field.</summary>
    public static string Malformed(string json)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node["implementationGuide"] = new System.Text.Json.Nodes.JsonArray();
        node["vendorExtensionBlock"] = new System.Text.Json.Nodes.JsonObject { ["build"] = "2024.1" };
        node["date"] = "2024-01-02T10:00:00";
        var rest = node["rest"]![0]!.AsObject();
        rest["interaction"]!.AsArray().Add(new System.Text.Json.Nodes.JsonObject { ["code"] = "patch-all" });
        return node.ToJsonString();
    }

    public static CapabilityStatement Build(EhrMode mode, string origin)
    {
        var bundles = mode != EhrMode.EpicLike;
        var rest = new CapabilityStatement.RestComponent
        {
            Mode = CapabilityStatement.RestfulCapabilityMode.Server,
            Documentation = $"Sandbox EHR in {FhirServerOptions.ModeName(mode)} mode.",
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
