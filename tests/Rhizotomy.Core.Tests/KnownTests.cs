using Rhizotomy.Core.Clinical;

namespace Rhizotomy.Core.Tests;

public class KnownTests
{
    [Fact]
    public void Every_project_concept_has_a_unique_code_and_a_definition_in_words()
    {
        Assert.Equal(Known.Concepts.Count, Known.Concepts.Select(c => c.Code).Distinct().Count());
        Assert.All(Known.Concepts, c => Assert.True(c.Definition.Split(' ').Length >= 4, c.Code));
    }
}
