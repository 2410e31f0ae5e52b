using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Snapshot;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;

namespace Rhizotomy.Core.Validation;

/// <summary>
/// Validates resources against the project profiles (and, when given extra sources, published ones).
/// Expensive to build (core definitions, snapshots of our profiles), cheap to call: build it once
/// and share it (<see cref="Shared"/>). Safe to call from several threads.
/// </summary>
public sealed class ProfileValidator
{
    private static readonly Lazy<ProfileValidator> LazyShared = new(() => new ProfileValidator(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Validator _validator;

    /// <summary>The process-wide validator over our profiles and FHIR R4 core.</summary>
    public static ProfileValidator Shared => LazyShared.Value;

    /// <summary>Our profiles and core only.</summary>
    public ProfileValidator() : this([])
    {
    }

    /// <param name="additionalSources">More definitions (e.g. US Core packages in tests), searched after ours and before core.</param>
    /// <param name="coreCacheFolder">Where core definitions are unpacked; default under the temp folder.</param>
    public ProfileValidator(IEnumerable<IAsyncResourceResolver> additionalSources, string? coreCacheFolder = null)
    {
        var core = new CachedResolver(CoreSpecification.Open(coreCacheFolder));
        var resolved = WithSnapshots(Profiles.ConformanceResources.Build(), core);
        // The validator's resolver gets its own objects: validation annotates the definitions it
        // loads, and what we publish must stay exactly what the generator made.
        ConformanceResources = [.. resolved.Select(r => (Resource)r.DeepCopy())];
        var ours = new InMemoryResourceResolver(resolved);
        IAsyncResourceResolver[] all = [ours, .. additionalSources, core];
        var resolver = new CachedResolver(new MultiResolver(all));
        // The definitions never change while the validator lives, so the answer to "is this code
        // in that value set" never changes either: remember it (see MemoizingTerminologyService).
        Terminology = new MemoizingTerminologyService(
            LocalTerminologyService.CreateDefaultForCore(resolver, new ValueSetExpanderSettings { ValueSetSource = resolver }));
        _validator = new Validator(resolver, Terminology);
    }

    internal MemoizingTerminologyService Terminology { get; }

    /// <summary>Our conformance resources, StructureDefinitions with their generated snapshots.</summary>
    public IReadOnlyList<Resource> ConformanceResources { get; }

    /// <summary>
    /// Validates <paramref name="resource"/> against <paramref name="profile"/>; by default its first
    /// <c>meta.profile</c>, else our profile for its type, else the base resource definition.
    /// </summary>
    public OperationOutcome Validate(Resource resource, string? profile = null)
    {
        ArgumentNullException.ThrowIfNull(resource);
        profile ??= resource.Meta?.Profile.FirstOrDefault()
            ?? Profiles.ConformanceResources.ProfileFor(resource.TypeName)
            ?? "http://hl7.org/fhir/StructureDefinition/" + resource.TypeName;
        return _validator.Validate(resource, profile);
    }

    /// <summary>
    /// Validates every resource of <paramref name="resources"/> (typically all that one note writes),
    /// each against its default profile, side by side; the outcomes are in the order of the input.
    /// </summary>
    /// <remarks>
    /// The resources are independent and the validator is thread-safe. Much of one validation is
    /// waiting: Firely runs every terminology check as a <c>Task.Run</c> and blocks until the thread
    /// pool has run it, so the waits of several resources overlap well. The helpers are dedicated
    /// threads, not pool threads: pool threads blocked on those waits could starve the very pool that
    /// must serve them. The outcomes are exactly those of <see cref="Validate"/> on each in turn.
    /// </remarks>
    public IReadOnlyList<OperationOutcome> ValidateAll(IReadOnlyList<Resource> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var outcomes = new OperationOutcome[resources.Count];
        var next = -1;
        Exception? failure = null;
        void Work()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < outcomes.Length)
            {
                try
                {
                    outcomes[i] = Validate(resources[i]);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                }
            }
        }

        // The caller works too; one helper per further core, never more than there are resources.
        var helpers = new Thread[Math.Max(0, Math.Min(resources.Count, Math.Max(2, Environment.ProcessorCount)) - 1)];
        for (var h = 0; h < helpers.Length; h++)
        {
            helpers[h] = new Thread(Work) { IsBackground = true, Name = "profile validation" };
            helpers[h].Start();
        }
        Work();
        foreach (var helper in helpers) helper.Join();
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        return outcomes;
    }

    /// <summary>True when the outcome holds no error or fatal issue.</summary>
    public static bool IsValid(OperationOutcome outcome) =>
        !outcome.Issue.Any(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);

    private static List<Resource> WithSnapshots(IReadOnlyList<Resource> resources, IAsyncResourceResolver core)
    {
        // The generator must see our other resources too (profiles may name each other), so it
        // resolves over ours + core; snapshots are made once here, never per validation.
        var resolver = new MultiResolver(new InMemoryResourceResolver(resources), core);
        var generator = new SnapshotGenerator(resolver, SnapshotGeneratorSettings.CreateDefault());
        foreach (var definition in resources.OfType<StructureDefinition>())
        {
            // Once per process at start-up; blocking keeps the constructor simple for callers.
            generator.UpdateAsync(definition).GetAwaiter().GetResult();
            var errors = generator.Outcome?.Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal).ToList();
            if (errors is { Count: > 0 })
                throw new InvalidOperationException($"Snapshot of {definition.Url} failed: " + string.Join("; ", errors.Select(e => e.Details?.Text ?? e.Diagnostics)));
        }
        return [.. resources];
    }
}
