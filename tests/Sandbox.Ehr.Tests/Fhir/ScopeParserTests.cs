using Sandbox.Ehr.Auth;
using Sandbox.Ehr.Fhir;

namespace Sandbox.Ehr.Tests.Fhir;

public class ScopeParserTests
{
    [Theory]
    [InlineData("patient/Condition.read", ScopeContext.Patient, "Condition", ScopePermissions.Read | ScopePermissions.Search)]
    [InlineData("user/*.write", ScopeContext.User, "*", ScopePermissions.Create | ScopePermissions.Update | ScopePermissions.Delete)]
    [InlineData("user/*.*", ScopeContext.User, "*", ScopePermissions.All)]
    [InlineData("*.*", ScopeContext.User, "*", ScopePermissions.All)]
    [InlineData("patient/Condition.rs", ScopeContext.Patient, "Condition", ScopePermissions.Read | ScopePermissions.Search)]
    [InlineData("user/DocumentReference.cu", ScopeContext.User, "DocumentReference", ScopePermissions.Create | ScopePermissions.Update)]
    [InlineData("system/Patient.cruds", ScopeContext.System, "Patient", ScopePermissions.All)]
    [InlineData("system/*.s", ScopeContext.System, "*", ScopePermissions.Search)]
    public void Resource_scopes_parse_in_v1_and_v2_syntax(string text, ScopeContext context, string type, ScopePermissions permissions)
    {
        Assert.True(SmartScope.TryParse(text, out var scope));
        Assert.Equal(context, scope.Context);
        Assert.Equal(type, scope.ResourceType);
        Assert.Equal(permissions, scope.Permissions);
        Assert.Empty(scope.Restriction);
    }

    [Fact]
    public void A_v2_scope_keeps_its_search_parameter_restriction()
    {
        Assert.True(SmartScope.TryParse("patient/Observation.rs?category=laboratory", out var scope));
        Assert.Equal(ScopePermissions.Read | ScopePermissions.Search, scope.Permissions);
        Assert.Equal([new KeyValuePair<string, string>("category", "laboratory")], scope.Restriction);
    }

    [Theory]
    [InlineData("openid")]
    [InlineData("launch")]
    [InlineData("launch/patient")]
    [InlineData("fhirUser")]
    [InlineData("patient/Condition.sr")]
    [InlineData("patient/Condition.rr")]
    [InlineData("patient/Condition.x")]
    [InlineData("patient/NotAType.read")]
    [InlineData("doctor/Condition.read")]
    [InlineData("")]
    public void Other_and_malformed_scopes_grant_nothing(string text)
    {
        Assert.False(SmartScope.TryParse(text, out _));
    }

    [Fact]
    public void A_patient_scope_reaches_only_the_launch_patients_compartment()
    {
        var policy = new AccessPolicy(new SmartAccess("c", ["patient/Condition.rs"], "p1", null, null));

        var decision = policy.Decide("Condition", ScopePermissions.Search);

        Assert.True(decision.Allowed);
        Assert.Equal("p1", Assert.Single(decision.Alternatives!).PatientId);
        Assert.False(policy.Decide("Condition", ScopePermissions.Create).Allowed);
        Assert.False(policy.Decide("Procedure", ScopePermissions.Read).Allowed);
    }

    [Fact]
    public void A_user_scope_reaches_every_patient()
    {
        var policy = new AccessPolicy(new SmartAccess("c", ["user/Condition.read", "patient/Condition.read"], "p1", null, null));
        Assert.Null(policy.Decide("Condition", ScopePermissions.Read).Alternatives);
    }

    [Fact]
    public void A_patient_scope_without_a_launch_patient_grants_nothing()
    {
        var decision = new AccessPolicy(new SmartAccess("c", ["patient/*.read"], null, null, null)).Decide("Condition", ScopePermissions.Read);
        Assert.False(decision.Allowed);
        Assert.Contains("no launch patient", decision.Reason);
    }

    [Fact]
    public void Scopes_given_as_one_space_separated_string_are_split()
    {
        var policy = new AccessPolicy(new SmartAccess("c", ["openid fhirUser user/Patient.r user/Condition.s"], null, null, null));
        Assert.True(policy.Decide("Patient", ScopePermissions.Read).Allowed);
        Assert.True(policy.Decide("Condition", ScopePermissions.Search).Allowed);
        Assert.False(policy.Decide("Condition", ScopePermissions.Read).Allowed);
    }
}
