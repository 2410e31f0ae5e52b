using System.Text.Json;
using System.Text.Json.Serialization;
using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Notes;

/// <summary>One row of a site's coding table: the suggested procedure code for a nerve, technique and approach, and the laterality modifiers.</summary>
/// <param name="Nerve">Project nerve code (<c>greater-occipital-nerve</c>).</param>
/// <param name="Technique"><c>neurectomy</c>, <c>radiofrequency</c> or <c>bipolar-electrocautery</c>.</param>
/// <param name="Approach"><c>open</c> or <c>percutaneous</c>; null for either.</param>
public sealed record CodingRow(string Nerve, string Technique, string? Approach, string Code, string? Display, string? Left, string? Right, string? Bilateral);

/// <summary>
/// Coding support for coders, not billing: a site's table keyed by nerve, technique and approach, giving per Procedure a
/// suggested procedure code (added to <c>Procedure.code</c>) and the laterality modifier (left, right or bilateral,
/// e.g. LT, RT, 50), said in a <c>Procedure.note</c> for the coder to review. The product ships the table empty
/// (<c>profiles/coding/procedure-codes.json</c>): CPT content is licensed, so a site supplies its own rows.
/// </summary>
public sealed record CodingTable(string System, IReadOnlyList<CodingRow> Rows)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    /// <summary>Reads a table file; a clear message naming the file when it cannot be used.</summary>
    public static CodingTable Load(string path)
    {
        CodingTable? table;
        try
        {
            table = JsonSerializer.Deserialize<CodingTable>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The coding table {Path.GetFileName(path)} is not valid JSON ({e.Message}).", e);
        }
        if (table is null || string.IsNullOrWhiteSpace(table.System) || table.Rows is null)
        {
            throw new InvalidDataException($"The coding table {Path.GetFileName(path)} needs a \"system\" and a \"rows\" list.");
        }
        if (table.Rows.FirstOrDefault(r => string.IsNullOrWhiteSpace(r.Nerve) || string.IsNullOrWhiteSpace(r.Technique) || string.IsNullOrWhiteSpace(r.Code)) is { } bad)
        {
            throw new InvalidDataException($"The coding table {Path.GetFileName(path)} has a row without nerve, technique or code (row {table.Rows.ToList().IndexOf(bad) + 1}).");
        }
        return table;
    }

    /// <summary>The row for this treatment (an exact approach before a row for either), and the modifier for its side.</summary>
    public (CodingRow Row, string? Modifier)? Suggest(NerveTreatment treatment, string? approach, bool bilateral)
    {
        var technique = treatment.Technique == Clinical.Technique.Neurectomy ? Known.Codes.Neurectomy
            : treatment.Coagulation?.Method == EnergyMethod.Radiofrequency ? Known.Codes.Radiofrequency : Known.Codes.BipolarElectrocautery;
        var nerve = NoteWording.NerveCode(treatment.Nerve);
        var row = Rows.Where(r => r.Nerve == nerve && r.Technique == technique)
            .OrderBy(r => r.Approach is null ? 1 : 0)
            .FirstOrDefault(r => r.Approach is null || string.Equals(r.Approach, approach, StringComparison.OrdinalIgnoreCase));
        if (row is null)
        {
            return null;
        }
        return (row, bilateral ? row.Bilateral : treatment.Side == Side.Left ? row.Left : row.Right);
    }
}
