using Hl7.Fhir.Model;
using Rhizotomy.Core.Checks;
using Rhizotomy.Core.Templates;
using Rhizotomy.Tests.Shared;

namespace Rhizotomy.Core.Tests.Templates;

/// <summary>The one enableWhen semantics, held to the shared vectors (the form's builder is held to the same ones in the app tests).</summary>
public class EnableWhenTests
{
    [Theory]
    [MemberData(nameof(EnableWhenVectors.All), MemberType = typeof(EnableWhenVectors))]
    public void The_engine_follows_the_shared_vector(EnableWhenVectors.Vector vector)
    {
        var q = EnableWhenVectors.Template(vector);
        var qr = EnableWhenVectors.Response(q, vector);
        var target = q.Item.Single(i => i.LinkId == "t");

        var enabled = EnableWhen.Enabled(target, question =>
            [.. qr.Item.Where(i => i.LinkId == question).SelectMany(i => i.Answer).Select(a => a.Value).OfType<DataType>()]);

        Assert.Equal(vector.Enabled, enabled);
    }

    [Theory]
    [MemberData(nameof(EnableWhenVectors.All), MemberType = typeof(EnableWhenVectors))]
    public void The_checks_drop_an_answer_to_a_disabled_item_by_the_same_vector(EnableWhenVectors.Vector vector)
    {
        var q = EnableWhenVectors.Template(vector);
        var qr = EnableWhenVectors.Response(q, vector);
        qr.Item.Add(new QuestionnaireResponse.ItemComponent { LinkId = "t", Answer = [new() { Value = new FhirString("answer of t") }] });
        var issues = new IssueList();

        var tree = ResponseTree.Build(q, qr, issues)!;

        Assert.Equal(vector.Enabled, tree.First("t") is not null);
    }
}
