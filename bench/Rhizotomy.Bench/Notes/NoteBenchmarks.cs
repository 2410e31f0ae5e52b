using BenchmarkDotNet.Attributes;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Checks;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Prefill;
using Rhizotomy.Core.Templates;
using Rhizotomy.Core.Validation;

namespace Rhizotomy.Bench.Notes;

/// <summary>
/// The core's per-note work after warm-up: compose one note, validate every resource it writes,
/// prefill a template from the chart and run the checks before signing. Targets: compose under
/// 1 ms p50, whole-note validation under 50 ms p50. Nothing is rebuilt per call: the validator and
/// the templates are built in the setup. Run: dotnet run -c Release --project bench/Rhizotomy.Bench -- --filter *NoteBenchmarks* --job short
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class NoteBenchmarks
{
    private readonly NoteComposer _composer = new();
    private OperativeNote _note = null!;
    private QuestionnaireResponse _source = null!;
    private ComposedNote _composed = null!;
    private IReadOnlyList<Resource> _resources = null!;
    private ProfileValidator _validator = null!;
    private Questionnaire _template = null!;
    private CaseEvidence _evidence = null!;
    private LaunchContext _launch = null!;
    private QuestionnaireResponse _prefilled = null!;

    [GlobalSetup]
    public void Setup()
    {
        _note = SampleNotes.BilateralCoagulation();
        _source = SampleNotes.Response(_note);
        _composed = _composer.Compose(_note, _source);
        _resources = [.. _composed.Resources];
        _validator = ProfileValidator.Shared;
        ValidateWholeNote();
        ValidateWholeNoteInTurn();

        _template = TemplateDefinitions.Build(Technique.Coagulation);
        _evidence = new CaseEvidence(
            [new EvidenceDiagnosis(new Ref("Condition/c1"), new Concept(Known.Systems.Icd10Cm, Known.Icd10Cm.OccipitalNeuralgia, "Occipital neuralgia"), false, Side.Left, true, "2025-01")],
            _note.Indication.Blocks, _note.Indication.Therapies, _note.Indication.Imaging, []);
        _launch = new LaunchContext(_note.Context.Patient, _note.Context.Encounter, _note.Context.Surgeon, _note.Context.SignedAt);
        _prefilled = Prefill();
    }

    [Benchmark]
    public ComposedNote Compose() => _composer.Compose(_note, _source);

    /// <summary>Every resource of the note, validated side by side (<see cref="ProfileValidator.ValidateAll"/>): what callers do.</summary>
    [Benchmark]
    public int ValidateWholeNote()
    {
        var errors = _validator.ValidateAll(_resources).Count(o => !ProfileValidator.IsValid(o));
        if (errors > 0) throw new InvalidOperationException("The sample note does not validate.");
        return errors;
    }

    /// <summary>The same resources one after the other on one thread, for comparison.</summary>
    [Benchmark]
    public int ValidateWholeNoteInTurn()
    {
        var errors = 0;
        foreach (var resource in _resources)
            if (!ProfileValidator.IsValid(_validator.Validate(resource))) errors++;
        if (errors > 0) throw new InvalidOperationException("The sample note does not validate.");
        return errors;
    }

    [Benchmark]
    public QuestionnaireResponse Prefill() => Populator.Populate(_template, _launch, _evidence);

    /// <summary>The checks on a prefilled (not yet completed) response: they walk every item and report what is missing.</summary>
    [Benchmark]
    public OperationOutcome CheckPrefilled() => NoteChecks.Check(_template, _prefilled, _evidence);
}
