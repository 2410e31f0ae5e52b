using Rhizotomy.App.Form;

namespace Rhizotomy.App.Tests.Form;

/// <summary>The form's response builder decides what is enabled by the same shared vectors as the checks (one semantics).</summary>
public class EnableWhenFormTests
{
    [Theory]
    [MemberData(nameof(EnableWhenVectors.All), MemberType = typeof(EnableWhenVectors))]
    public void The_form_follows_the_shared_vector(EnableWhenVectors.Vector vector)
    {
        var q = EnableWhenVectors.Template(vector);
        var state = FormState.FromResponse(q, EnableWhenVectors.Response(q, vector));

        var enabled = new ResponseBuilder(q, state).Enabled(q.Item.Single(i => i.LinkId == "t"), "");

        Assert.Equal(vector.Enabled, enabled);
    }
}
