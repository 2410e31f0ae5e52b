using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Notes;
using Rhizotomy.Core.Tests.Validation;
using Rhizotomy.Core.Clinical;
using Xunit.Abstractions;

namespace Rhizotomy.Core.Tests.Notes;

[Collection(ValidationCollection.Name)]
public class ScratchTests(ValidationFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void Scratch()
    {
        var note = SampleNotes.BilateralCoagulation();
        var composed = new NoteComposer().Compose(note, SampleNotes.Response(note));
        output.WriteLine(composed.Text);
        foreach (var r in composed.Resources)
        {
            foreach (var (name, v, p) in new[] { ("ours", fixture.Ours, (string?)null), ("pub", fixture.Published, PublishedFor(r.TypeName)) })
            {
                var sw = System.Diagnostics.Stopwatch.StartNew();
                var oo = v.Validate(r, p);
                output.WriteLine($"== {r.TypeName} {name} {p} {sw.ElapsedMilliseconds}ms");
                foreach (var i in oo.Issue) output.WriteLine($"  {i.Severity} {i.Details?.Text ?? i.Diagnostics} @ {string.Join(",", i.Expression)}");
            }
        }
    }

    private static string PublishedFor(string type) => type switch
    {
        "Procedure" => Known.Profiles.UsCoreProcedure,
        "Composition" => Known.Profiles.CcdaOperativeNote,
        "DocumentReference" => Known.Profiles.UsCoreDocumentReference,
        "Provenance" => Known.Profiles.UsCoreProvenance,
        _ => Known.Profiles.UsCoreQuestionnaireResponse,
    };
}
