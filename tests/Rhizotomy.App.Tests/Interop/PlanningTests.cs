using Hl7.Fhir.Model;
using Rhizotomy.App.Ehr;
using Rhizotomy.App.Launch;
using Rhizotomy.App.WriteBack;

namespace Rhizotomy.App.Tests.Interop;

/// <summary>Issue 14: the scopes row of <c>ehr-check</c> counts wildcard scopes (point 3); the planner keeps within a stated transaction limit (point 4).</summary>
public class PlanningTests
{
    private static readonly string[] SandboxLike =
        ["openid", "fhirUser", "launch", "offline_access", "patient/*.rs", "patient/*.cruds", "user/*.rs", "user/*.cruds"];

    [Theory]
    [InlineData("patient/Condition.rs", "patient/*.rs", true)]
    [InlineData("patient/Patient.r", "patient/*.rs", true)]
    [InlineData("patient/DocumentReference.crus", "patient/*.cruds", true)]
    [InlineData("patient/DocumentReference.crus", "patient/*.rs", false)]
    [InlineData("patient/DocumentReference.crus", "patient/*.read patient/*.write", true)]
    [InlineData("patient/DocumentReference.crus", "patient/*.read", false)]
    [InlineData("patient/Condition.rs", "patient/*.*", true)]
    [InlineData("patient/Condition.rs", "patient/Condition.read", true)]
    [InlineData("patient/Condition.rs", "user/*.rs", false)]
    [InlineData("patient/Observation.rs", "patient/Observation.rs?category=laboratory", false)]
    [InlineData("patient/Observation.rs?category=laboratory", "patient/Observation.rs?category=laboratory", true)]
    [InlineData("user/Provenance.crs", "user/Provenance.c user/Provenance.rs", true)]
    [InlineData("openid", "openid", true)]
    [InlineData("offline_access", "online_access", false)]
    public void A_wildcard_or_v1_scope_covers_what_it_grants(string needed, string offered, bool covered) =>
        Assert.Equal(covered, EhrCheck.Covered(needed, offered.Split(' ')));

    [Fact]
    public void Every_scope_the_app_asks_is_covered_by_a_servers_wildcards()
    {
        // The scopes row once said "7 of 18 not listed" for a server listing only wildcards.
        var needed = Scopes.Read.Concat(Scopes.Write).ToList();
        Assert.Equal(18, needed.Count);
        Assert.DoesNotContain(needed, n => !EhrCheck.Covered(n, SandboxLike));
    }

    [Theory]
    [InlineData("Sandbox EHR in full mode. A transaction may hold at most 8 conditional entries.", 8, true)]
    [InlineData("A transaction with conditional entries may hold at most 8 entries.", 8, false)]
    [InlineData("Bundles: AT MOST 20 ENTRIES", 20, false)]
    public void A_transaction_limit_stated_in_words_is_read(string documentation, int max, bool conditionalOnly) =>
        Assert.Equal(new TransactionLimit(max, conditionalOnly), WritePlan.StatedLimit(documentation));

    [Theory]
    [InlineData("Sandbox EHR in full mode.")]
    [InlineData("at most 0 entries")]
    [InlineData(null)]
    public void No_limit_is_read_where_none_is_stated(string? documentation) => Assert.Null(WritePlan.StatedLimit(documentation));

    [Fact]
    public void The_planner_reads_the_limit_from_the_capability_statement()
    {
        var statement = new CapabilityStatement
        {
            Rest = [new CapabilityStatement.RestComponent
            {
                Mode = CapabilityStatement.RestfulCapabilityMode.Server,
                Documentation = "A transaction may hold at most 3 conditional entries.",
                Interaction = [new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.Transaction }],
                Resource = [.. new[] { "Procedure", "Composition", "DocumentReference", "Provenance" }.Select(t => new CapabilityStatement.ResourceComponent
                {
                    Type = t, ConditionalCreate = true,
                    Interaction = [new CapabilityStatement.ResourceInteractionComponent { Code = CapabilityStatement.TypeRestfulInteraction.Create }],
                })],
            }],
        };

        var plan = WritePlan.Choose(statement, ehr: null);

        Assert.Equal((WriteStrategy.Transaction, new TransactionLimit(3, true)), (plan.Strategy, plan.TransactionLimit));
    }

    [Theory]
    [InlineData(4, true, "transaction")]
    [InlineData(3, true, "individual")]
    [InlineData(4, false, "individual")]
    [InlineData(5, false, "transaction")]
    public void A_note_larger_than_the_stated_limit_is_planned_as_individual_creates(int max, bool conditionalOnly, string expected)
    {
        // Four conditional creates and one update go in the transaction; the Provenance follows on its own.
        var plan = new WritePlan(WriteStrategy.Transaction, false, false, false, "capability", "test", TransactionLimit: new TransactionLimit(max, conditionalOnly));

        var planned = plan.Within(Note());

        Assert.Equal(expected, planned.StrategyName);
        Assert.Equal("capability", planned.Source);
        if (expected == "transaction")
            Assert.Same(plan, planned);
    }

    private static Bundle Note()
    {
        Bundle.EntryComponent Create(Resource r, string? condition) => new()
        {
            FullUrl = "urn:uuid:" + Guid.NewGuid(), Resource = r,
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = r.TypeName, IfNoneExist = condition },
        };
        return new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                Create(new Procedure(), "identifier=a|1"), Create(new Composition(), "identifier=a|2"),
                Create(new DocumentReference(), "identifier=a|3"), Create(new QuestionnaireResponse(), "identifier=a|4"),
                new Bundle.EntryComponent { FullUrl = "urn:uuid:" + Guid.NewGuid(), Resource = new Procedure { Id = "12" }, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = "Procedure/12" } },
                Create(new Provenance(), null),
            ],
        };
    }
}
