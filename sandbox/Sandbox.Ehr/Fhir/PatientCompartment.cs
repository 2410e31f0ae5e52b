using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace Sandbox.Ehr.Fhir;

/// <summary>
/// The FHIR R4 Patient CompartmentDefinition (shipped as data: <c>Fhir/Data/compartmentdefinition-patient.json</c>):
/// for each resource type, the search parameters whose Patient references put a resource in a
/// patient's compartment. A <c>patient/</c> scope reaches a resource through them, and a write with
/// one must not name any other patient through them.
/// </summary>
public static class PatientCompartment
{
    /// <summary>Types the definition leaves out keep the sandbox's older reach: their <c>patient</c> and <c>subject</c> parameters.</summary>
    private static readonly IReadOnlyList<string> Unlisted = ["patient", "subject"];

    public static CompartmentDefinition Definition { get; } = Load();

    private static readonly Dictionary<string, IReadOnlyList<string>> ByType = Definition.Resource
        .Where(r => r.Code is not null && r.Param.Any())
        .ToDictionary(r => r.Code!.Value.GetLiteral()!, r => (IReadOnlyList<string>)[.. r.Param.OfType<string>()], StringComparer.Ordinal);

    /// <summary>The compartment's reference parameters of <paramref name="type"/>.</summary>
    public static IReadOnlyList<string> Params(string type) => ByType.GetValueOrDefault(type, Unlisted);

    private static CompartmentDefinition Load()
    {
        using var stream = typeof(PatientCompartment).Assembly.GetManifestResourceStream("Sandbox.Ehr.Fhir.Data.compartmentdefinition-patient.json")
            ?? throw new InvalidOperationException("The Patient CompartmentDefinition is not embedded in the sandbox.");
        using var reader = new StreamReader(stream);
        return new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<CompartmentDefinition>(reader.ReadToEnd());
    }
}
