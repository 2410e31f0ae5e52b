using Rhizotomy.App.Launch;

namespace Rhizotomy.App.Tests.Launch;

public class ScopesTests
{
    private static readonly EhrRegistration Ehr = new() { Issuer = "https://ehr.example/fhir", ClientId = "app" };
    private static SmartConfiguration Config(params string[] capabilities) =>
        new("https://ehr.example", "https://ehr.example/authorize", "https://ehr.example/token", null, capabilities, ["S256"], null);

    [Fact]
    public void A_v2_server_is_asked_v2_scopes_with_reads_writes_and_the_launch()
    {
        var scopes = Scopes.Request(Ehr, Config("permission-v2", "permission-v1"), standalone: false).Split(' ');
        Assert.Equal("launch", scopes[0]);
        Assert.Contains("patient/QuestionnaireResponse.crus", scopes);
        Assert.Contains("user/Practitioner.r", scopes);
        Assert.Contains("offline_access", scopes);
    }

    [Fact]
    public void A_server_without_permission_v2_is_asked_v1_scopes()
    {
        var scopes = Scopes.Request(Ehr, Config("permission-v1"), standalone: true).Split(' ');
        Assert.Contains("launch/patient", scopes);
        Assert.Contains("patient/Condition.read", scopes);
        Assert.Contains("patient/DocumentReference.write", scopes);
        Assert.Contains("patient/QuestionnaireResponse.read", scopes);
        Assert.Contains("patient/QuestionnaireResponse.write", scopes);
        Assert.DoesNotContain(scopes, s => s.EndsWith(".rs", StringComparison.Ordinal) || s.EndsWith(".cu", StringComparison.Ordinal));
    }

    [Fact]
    public void A_per_ehr_scope_list_replaces_the_default_and_still_carries_the_launch()
    {
        var ehr = new EhrRegistration { Issuer = Ehr.Issuer, ClientId = "app", Scopes = "openid fhirUser patient/Condition.rs" };
        Assert.Equal("launch openid fhirUser patient/Condition.rs", Scopes.Request(ehr, Config("permission-v2"), standalone: false));
    }

    [Theory]
    [InlineData("patient/Condition.rs", "Condition", 'r', true)]
    [InlineData("patient/Condition.rs", "Condition", 'c', false)]
    [InlineData("patient/*.cruds", "DocumentReference", 'c', true)]
    [InlineData("user/DocumentReference.read", "DocumentReference", 'c', false)]
    [InlineData("patient/DocumentReference.write", "DocumentReference", 'c', true)]
    [InlineData("patient/*.*", "Procedure", 'c', true)]
    [InlineData("patient/Observation.rs?category=laboratory", "Observation", 'r', true)]
    [InlineData("launch/patient openid", "Patient", 'r', false)]
    public void A_granted_scope_allows_exactly_what_it_says(string granted, string type, char op, bool allowed)
    {
        var scopes = new GrantedScopes(granted);
        var result = op == 'c' ? scopes.CanCreate(type) : scopes.CanRead(type);
        Assert.Equal(allowed, result);
    }

    [Theory]
    [InlineData("launch openid patient/Patient.r patient/Condition.rs patient/Procedure.rs", "")]
    [InlineData("launch patient/Patient.read patient/Condition.read patient/Procedure.read", "")]
    [InlineData("launch patient/*.rs", "")]
    [InlineData("launch openid patient/Procedure.rs", "the patient's record and diagnoses")]
    [InlineData("launch openid patient/Patient.r patient/Condition.r", "diagnoses and procedures (prior nerve blocks)")]
    [InlineData("launch openid", "the patient's record, diagnoses and procedures (prior nerve blocks)")]
    public void A_grant_too_narrow_for_the_chart_names_what_is_missing_in_plain_words(string granted, string missing)
    {
        Assert.Equal(missing, Scopes.Words(Scopes.MissingForChart(new GrantedScopes(granted))));
    }
}
