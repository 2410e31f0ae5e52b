using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Tests.Notes;

/// <summary>Random valid operative notes from a seeded <see cref="Random"/> (same seed, same notes).</summary>
public static class RandomNotes
{
    private static readonly Nerve[] Nerves = [.. Known.Concepts.Where(c => c.Group == "nerve").Select(c => new Nerve(c.Code))];

    private static readonly string[] Hostile = ["<b>bold</b>", "a & b", "\"quoted\"", "naïve café 神経", "line\nbreak", "'single'", "x > y < z"];

    public static OperativeNote Next(Random random, int index)
    {
        T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];
        string Text(string prefix) => random.Next(4) == 0 ? prefix + " " + Pick(Hostile) : prefix + " " + random.Next(1000);
        string? Maybe(string prefix) => random.Next(2) == 0 ? null : Text(prefix);
        Ref? MaybeRef(string type) => random.Next(2) == 0 ? null : new Ref($"{type}/r{random.Next(100000)}", random.Next(2) == 0 ? null : Text("display"));

        var offset = TimeSpan.FromMinutes(60 * random.Next(-11, 13));
        var start = new DateTimeOffset(2020 + random.Next(7), 1 + random.Next(12), 1 + random.Next(28), random.Next(24), random.Next(60), 0, offset);
        var context = new NoteContext($"note-{index}-{random.Next(1_000_000)}", new Ref("Patient/p" + index, Maybe("Patient")),
            MaybeRef("Encounter"), new Ref("Practitioner/s" + random.Next(50), Maybe("Dr")), new Ref("Organization/o1", "Hospital"), start.AddHours(3));

        var pairs = Nerves.SelectMany(n => Enum.GetValues<Side>().Select(s => (n, s))).OrderBy(_ => random.Next()).Take(1 + random.Next(4)).ToList();
        var findingCodes = Known.Concepts.Where(c => c.Group == "nerve-finding").Select(c => c.Code).ToList();
        var stumps = Known.Concepts.Where(c => c.Group == "stump-management").Select(c => c.Code).ToList();
        var treatments = pairs.Select(p =>
        {
            var technique = random.Next(2) == 0 ? Technique.Neurectomy : Technique.Coagulation;
            var method = random.Next(2) == 0 ? EnergyMethod.Radiofrequency : EnergyMethod.BipolarElectrocautery;
            return new NerveTreatment(p.n, p.s, technique,
                [.. findingCodes.Where(_ => random.Next(3) == 0)], Maybe("findings"),
                technique == Technique.Neurectomy ? new NeurectomyDetails(random.Next(0, 30), Pick(stumps), random.Next(2) == 0) : null,
                technique == Technique.Coagulation
                    ? new CoagulationDetails(method, method == EnergyMethod.Radiofrequency ? 60 + random.Next(30) : null, method == EnergyMethod.Radiofrequency ? 60 + random.Next(120) : null, method == EnergyMethod.Radiofrequency ? 1 + random.Next(4) : null)
                    : null,
                random.Next(5) == 0 ? Text("reason") : null);
        }).ToList();

        var codes = Known.Icd10Cm.Relevant.ToList();
        Diagnosis NewDiagnosis()
        {
            var side = random.Next(3) switch { 0 => (Side?)null, 1 => Side.Left, _ => Side.Right };
            return random.Next(4) == 0
                ? new Diagnosis(new Concept(null, null, Text("Headache")), side, MaybeRef("Condition"))
                : Pick(codes) is var code ? new Diagnosis(new Concept(Known.Systems.Icd10Cm, code.Key, code.Value), side, MaybeRef("Condition")) : throw new InvalidOperationException();
        }

        var complicationCodes = Known.Concepts.Where(c => c.Group == "complication" && c.Code != Known.Codes.NoComplications).Select(c => c.Code).ToList();
        var none = random.Next(3) != 0;
        var complications = new ComplicationStatement(none, none ? [] : [.. complicationCodes.Where(_ => random.Next(2) == 0).DefaultIfEmpty(complicationCodes[0])], Maybe("complication"));

        // One laterality story, as the checks demand of a note that is signed: every treated side has a diagnosis on it (or one without a side).
        var preoperative = Enumerable.Range(0, 1 + random.Next(3)).Select(_ => NewDiagnosis()).ToList();
        foreach (var side in treatments.Select(t => t.Side).Distinct().Where(s => !preoperative.Any(d => d.Side is null || d.Side == s)).ToList())
            preoperative.Add(NewDiagnosis() with { Side = side });

        return new OperativeNote(
            context, start, start.AddMinutes(30 + random.Next(180)),
            preoperative,
            [.. Enumerable.Range(0, 1 + random.Next(2)).Select(_ => NewDiagnosis())],
            new Indication(
                [.. Enumerable.Range(0, random.Next(3)).Select(_ => new PriorBlock(random.Next(2) == 0 ? "2025-0" + (1 + random.Next(9)) : null, random.Next(2) == 0 ? Pick(Nerves) : null, random.Next(2) == 0 ? Side.Left : null, random.Next(2) == 0 ? random.Next(101) : null, Maybe("relief"), MaybeRef("Procedure")))],
                [.. Enumerable.Range(0, random.Next(3)).Select(_ => new TherapyTried(Pick(["medication", "physical therapy", "other"]), Text("therapy"), Maybe("period"), random.Next(3) switch { 0 => null, 1 => true, _ => false }, MaybeRef("MedicationStatement")))],
                [.. Enumerable.Range(0, random.Next(2)).Select(_ => new Imaging(Text("MRI"), Maybe("date"), MaybeRef("DiagnosticReport")))],
                Maybe("summary")),
            random.Next(5) != 0,
            [.. complicationCodes.Where(_ => random.Next(2) == 0)],
            random.Next(3) == 0 ? new Concept(null, null, Text("Sedation")) : new Concept(Known.Systems.Snomed, Known.Snomed.GeneralAnesthesia, "General anesthesia"),
            Text("approach"),
            random.Next(3) switch { 0 => null, 1 => Known.Codes.OperatingMicroscope, _ => Known.Codes.SurgicalLoupes },
            treatments,
            Maybe("specimens"), Maybe("implant"), Maybe("drain"),
            complications,
            random.Next(0, 200) / 2m,
            random.Next(3) == 0 ? Text("disposition") : Pick([Known.Codes.DispositionHomeSameDay, Known.Codes.DispositionShortStay]),
            [.. Enumerable.Range(0, random.Next(4)).Select(i => Text("plan"))],
            Maybe("follow-up"),
            Maybe("notes"));
    }
}
