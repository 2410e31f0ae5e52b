using System.Collections.Concurrent;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Terminology;
using ParametersTask = System.Threading.Tasks.Task<Hl7.Fhir.Model.Parameters>;

namespace Rhizotomy.Core.Validation;

/// <summary>
/// Remembers the answers of a terminology service whose value sets and code systems never change
/// while it lives (ours: <c>LocalTerminologyService</c> over definitions loaded once), so a code
/// that was checked once is not checked again. The answer for a question is the inner service's
/// own answer, unchanged: the validator sees exactly what it would have seen without the cache.
/// </summary>
/// <remarks>
/// Why it pays: every required binding costs the validator a round trip through the thread pool
/// and a value-set lookup under a lock; one note asks the same ~60 questions (status codes,
/// narrative status, our nerve and side codes) every time. Answers are kept only for questions
/// made of plain values (codes, codings, concepts), never for failures (an exception is not
/// remembered), and at most <see cref="MaxEntries"/> of them, so odd input cannot grow it without
/// bound. Thread-safe.
/// </remarks>
internal sealed class MemoizingTerminologyService(ICodeValidationTerminologyService inner) : ICodeValidationTerminologyService
{
    /// <summary>Upper bound of remembered answers; past it, questions go to the inner service every time.</summary>
    public const int MaxEntries = 20_000;

    private readonly ConcurrentDictionary<string, ParametersTask> _validateCode = new(StringComparer.Ordinal);

    /// <summary>How many answers came from memory (for tests and benchmarks).</summary>
    public long Hits => Interlocked.Read(ref _hits);

    private long _hits;

    public ParametersTask ValueSetValidateCode(Parameters parameters, string? id = null, bool useGet = false)
    {
        var key = KeyOf(parameters, id);
        if (key is null) return inner.ValueSetValidateCode(parameters, id, useGet);
        if (_validateCode.TryGetValue(key, out var known))
        {
            Interlocked.Increment(ref _hits);
            return known;
        }
        return AskAndRemember(key, parameters, id, useGet);
    }

    // Subsumption is not on the validation path of our profiles; pass it through unchanged.
    public ParametersTask Subsumes(Parameters parameters, string? id = null, bool useGet = false) =>
        inner.Subsumes(parameters, id, useGet);

    private async ParametersTask AskAndRemember(string key, Parameters parameters, string? id, bool useGet)
    {
        var answer = await inner.ValueSetValidateCode(parameters, id, useGet).ConfigureAwait(false);
        if (_validateCode.Count < MaxEntries)
        {
            // The stored answer is a private copy: the caller may do what it likes with its own.
            _validateCode.TryAdd(key, System.Threading.Tasks.Task.FromResult((Parameters)answer.DeepCopy()));
        }
        return answer;
    }

    /// <summary>A key that names the whole question, or null when it holds something we do not key (then it is not remembered).</summary>
    internal static string? KeyOf(Parameters parameters, string? id)
    {
        var key = new StringBuilder(160).Append(id).Append('\u001f');
        foreach (var parameter in parameters.Parameter)
        {
            if (parameter.Resource is not null || parameter.Part.Count > 0) return null;
            if (parameter.Value is not null && !Plain(parameter.Value)) return null;
            key.Append(parameter.Name).Append('=');
            switch (parameter.Value)
            {
                case null:
                    break;
                case PrimitiveType primitive:
                    key.Append(primitive.TypeName).Append(':').Append(primitive.ToString());
                    break;
                case Coding coding:
                    Append(key, coding);
                    break;
                case CodeableConcept concept:
                    if (!concept.Coding.All(Plain)) return null;
                    key.Append("CC:").Append(concept.Text).Append('\u001e');
                    foreach (var coding in concept.Coding) Append(key, coding);
                    break;
                default:
                    return null;
            }
            key.Append('\u001f');
        }
        return key.ToString();
    }

    // Extensions or element ids could change an answer in ways a key would have to spell out.
    private static bool Plain(DataType value) => value.Extension.Count == 0 && value.ElementId is null;

    private static void Append(StringBuilder key, Coding coding)
    {
        // Every element of a Coding a validate-code answer can depend on.
        key.Append("C:").Append(coding.System).Append('|').Append(coding.Version).Append('|').Append(coding.Code)
            .Append('|').Append(coding.Display).Append('|').Append(coding.UserSelected?.ToString() ?? "").Append('\u001e');
    }
}
