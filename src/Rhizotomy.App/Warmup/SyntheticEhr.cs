using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.App.Warmup;

/// <summary>
/// An EHR that lives in memory, for the start-up warm-up only: a FHIR R4 read and search API over a
/// made-up chart (no real person), a token endpoint and a JWKS, so that the launch's code paths can
/// run once before the first surgeon arrives without a single byte leaving the process. Its host name
/// is under <c>.invalid</c> (RFC 2606): were a request ever to reach a real handler, it could not resolve.
/// </summary>
public sealed class SyntheticEhr : HttpMessageHandler
{
    public const string Origin = "https://warm-up.invalid";
    public const string FhirBase = Origin + "/fhir";
    public const string TokenEndpoint = Origin + "/token";
    public const string JwksUri = Origin + "/jwks";
    public const string ClientId = "warm-up";
    public const string PatientId = "warm-up-patient";
    public const string EncounterId = "warm-up-encounter";
    public const string PractitionerId = "warm-up-surgeon";

    // One key for the process: signing the synthetic id_token exercises the same RSA code the EHR's token takes.
    private static readonly RSA Key = RSA.Create(2048);
    private static readonly RsaSecurityKey SigningKey = new(Key) { KeyId = "warm-up" };

    /// <summary>What the synthetic token endpoint puts in the id_token's <c>nonce</c> (the warm-up checks it back).</summary>
    public string Nonce { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    protected override System.Threading.Tasks.Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        if (!uri.AbsoluteUri.StartsWith(Origin + "/", StringComparison.Ordinal))
            return System.Threading.Tasks.Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound));
        var path = uri.AbsolutePath;
        var answer = path switch
        {
            "/token" when request.Method == HttpMethod.Post => Json(TokenResponse()),
            "/jwks" => Json(Jwks()),
            _ when path.StartsWith("/fhir/", StringComparison.Ordinal) => Fhir(path["/fhir/".Length..], uri.Query),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound),
        };
        answer.RequestMessage = request;
        return System.Threading.Tasks.Task.FromResult(answer);
    }

    private static HttpResponseMessage Fhir(string path, string query)
    {
        Resource? resource = path switch
        {
            "Patient/" + PatientId => new Patient
            {
                Id = PatientId,
                Name = [new HumanName { Family = "Synthetic", Given = ["Warm-up"] }],
                BirthDate = "1970-01-01",
                Gender = AdministrativeGender.Unknown,
            },
            "Practitioner/" + PractitionerId => new Practitioner { Id = PractitionerId, Name = [new HumanName { Family = "Synthetic", Given = ["Surgeon"] }] },
            "Encounter/" + EncounterId => new Encounter
            {
                Id = EncounterId,
                Status = Encounter.EncounterStatus.Planned,
                Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
                Subject = new ResourceReference("Patient/" + PatientId),
                Period = new Period { Start = "2026-01-01" },
            },
            _ when path.Contains('/') => null,
            _ => Search(path, query),
        };
        if (resource is null)
            return new HttpResponseMessage(HttpStatusCode.NotFound);
        return new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent(new FhirJsonSerializer().SerializeToString(resource), Encoding.UTF8, "application/fhir+json"),
        };
    }

    /// <summary>A searchset of the patient's resources of one type; the diagnoses come in two pages, as a long chart does.</summary>
    private static Bundle Search(string type, string query)
    {
        var secondPage = query.Contains("page=2", StringComparison.Ordinal);
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset };
        var resources = Chart().Where(r => r.TypeName == type).ToList();
        if (type == "Condition")
        {
            resources = secondPage ? resources.Skip(1).ToList() : resources.Take(1).ToList();
            if (!secondPage)
                bundle.Link.Add(new Bundle.LinkComponent { Relation = "next", Url = $"{FhirBase}/Condition?patient={PatientId}&page=2" });
        }
        bundle.Total = resources.Count;
        foreach (var r in resources)
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = $"{FhirBase}/{r.TypeName}/{r.Id}", Resource = r, Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match } });
        return bundle;
    }

    /// <summary>A made-up chart with what the case evidence looks for: diagnoses with sides, a block with relief, a tried drug, imaging.</summary>
    public static IReadOnlyList<Resource> Chart()
    {
        var p = new ResourceReference("Patient/" + PatientId);
        CodeableConcept Side(string code) => new(Known.Systems.Snomed, code);
        return
        [
            new Condition { Id = "warm-up-on-left", Subject = p, Code = new CodeableConcept(Known.Systems.Icd10Cm, "M54.81", "Occipital neuralgia"), BodySite = [Side(Known.Snomed.Left)], Onset = new FhirDateTime("2022-03"), ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active") },
            new Condition { Id = "warm-up-migraine", Subject = p, Code = new CodeableConcept { Text = "Chronic migraine" }, Onset = new FhirDateTime("2019") },
            new Procedure
            {
                Id = "warm-up-block", Status = EventStatus.Completed, Subject = p,
                Code = new CodeableConcept(Known.ProjectCodeSystem, Known.Codes.OccipitalNerveBlock),
                BodySite = [Side(Known.Snomed.Left), new CodeableConcept(Known.ProjectCodeSystem, Known.Codes.GreaterOccipitalNerve)],
                Performed = new FhirDateTime("2024-01-15"), Outcome = new CodeableConcept { Text = "80% relief" },
            },
            new MedicationStatement { Id = "warm-up-drug", Status = MedicationStatement.MedicationStatusCodes.Stopped, Subject = p, Medication = new CodeableConcept { Text = "Gabapentin" }, Effective = new Period { Start = "2022-05", End = "2023-01" } },
            new MedicationRequest { Id = "warm-up-order", Status = MedicationRequest.MedicationrequestStatus.Stopped, Intent = MedicationRequest.MedicationRequestIntent.Order, Subject = p, Medication = new CodeableConcept { Text = "Amitriptyline" }, AuthoredOn = "2023-02-01" },
            new DiagnosticReport { Id = "warm-up-mri", Status = DiagnosticReport.DiagnosticReportStatus.Final, Subject = p, Code = new CodeableConcept { Text = "MRI cervical spine" }, Effective = new FhirDateTime("2023-06-01") },
        ];
    }

    private JsonObject TokenResponse()
    {
        var idToken = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = FhirBase,
            Audience = ClientId,
            IssuedAt = DateTime.UtcNow,
            NotBefore = DateTime.UtcNow.AddMinutes(-1),
            Expires = DateTime.UtcNow.AddMinutes(5),
            Claims = new Dictionary<string, object> { ["nonce"] = Nonce, ["fhirUser"] = $"{FhirBase}/Practitioner/{PractitionerId}", ["sub"] = PractitionerId },
            SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.RsaSha256),
        });
        return new JsonObject
        {
            ["access_token"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            ["token_type"] = "Bearer",
            ["expires_in"] = 3600,
            ["scope"] = "launch openid fhirUser patient/*.rs user/Practitioner.r patient/DocumentReference.crus",
            ["id_token"] = idToken,
            ["patient"] = PatientId,
            ["encounter"] = EncounterId,
            ["fhirContext"] = new JsonArray(new JsonObject { ["reference"] = "Encounter/" + EncounterId }),
            ["need_patient_banner"] = true,
        };
    }

    private static JsonObject Jwks()
    {
        var parameters = Key.ExportParameters(includePrivateParameters: false);
        return new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA",
                ["use"] = "sig",
                ["alg"] = "RS256",
                ["kid"] = SigningKey.KeyId,
                ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
                ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
            }),
        };
    }

    private static HttpResponseMessage Json(JsonNode body) => new(HttpStatusCode.OK)
    {
        Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
    };
}
