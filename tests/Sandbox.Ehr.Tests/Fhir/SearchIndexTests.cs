using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Sandbox.Ehr.Fhir;

namespace Sandbox.Ehr.Tests.Fhir;

public class SearchIndexTests
{
    [Fact]
    public void Every_indexed_search_expression_evaluates_on_its_resource_type()
    {
        var failures = new List<string>();
        var types = ModelInfo.SupportedResources.Where(FhirEngine.IsKnownType).ToList();
        foreach (var type in types)
        {
            var resource = (Resource)Activator.CreateInstance(ModelInfo.GetTypeForFhirType(type)!)!;
            foreach (var parameter in SearchParameters.For(type))
            {
                foreach (var branch in parameter.Branches)
                {
                    try
                    {
                        _ = resource.Select(branch.Expression, new FhirEvaluationContext()).ToList();
                    }
                    catch (Exception e)
                    {
                        failures.Add($"{type}.{parameter.Name}: {branch.Expression}: {e.Message}");
                    }
                }
            }
        }
        Assert.Empty(failures);
        Assert.True(types.Count > 140);
    }

    [Fact]
    public void Shared_expressions_are_narrowed_to_the_resource_type_and_resolve_becomes_a_target_type()
    {
        var patient = SearchParameters.Find("Condition", "patient")!;
        var branch = Assert.Single(patient.Branches);
        Assert.Equal("Condition.subject", branch.Expression);
        Assert.Equal("Patient", branch.TargetType);
        Assert.Null(SearchParameters.Find("Observation", "value-quantity"));
    }

    [Fact]
    public void A_condition_is_indexed_by_patient_code_and_onset_range()
    {
        var condition = new Condition
        {
            Subject = new ResourceReference("Patient/p1"),
            Code = new CodeableConcept("http://snomed.info/sct", "230462002", "Occipital neuralgia"),
            Onset = new FhirDateTime("2021-03"),
        };

        var entries = new SearchIndexer(NullLogger<SearchIndexer>.Instance).Index(condition);

        Assert.Contains(("patient", "Patient", "p1"), entries.References);
        Assert.Contains(("subject", "Patient", "p1"), entries.References);
        Assert.Contains(entries.Tokens, t => t.Param == "code" && t.System == "http://snomed.info/sct" && t.Code == "230462002" && t.Text == "occipital neuralgia");
        Assert.True(FhirDates.TryParse("2021-03", out var low, out var high));
        Assert.Contains(("onset-date", low, high), entries.Dates);
    }

    [Fact]
    public void A_group_subject_is_not_indexed_as_a_patient()
    {
        var entries = new SearchIndexer(NullLogger<SearchIndexer>.Instance).Index(new Condition { Subject = new ResourceReference("Group/g1") });
        Assert.DoesNotContain(entries.References, r => r.Param == "patient");
        Assert.Contains(("subject", "Group", "g1"), entries.References);
    }

    [Theory]
    [InlineData("2021", "2021-01-01T00:00:00Z", "2022-01-01T00:00:00Z")]
    [InlineData("2021-02", "2021-02-01T00:00:00Z", "2021-03-01T00:00:00Z")]
    [InlineData("2021-02-28", "2021-02-28T00:00:00Z", "2021-03-01T00:00:00Z")]
    [InlineData("2021-02-28T10:15", "2021-02-28T10:15:00Z", "2021-02-28T10:16:00Z")]
    [InlineData("2021-02-28T10:15:30+02:00", "2021-02-28T08:15:30Z", "2021-02-28T08:15:31Z")]
    public void Partial_dates_are_ranges(string value, string low, string high)
    {
        Assert.True(FhirDates.TryParse(value, out var actualLow, out var actualHigh));
        Assert.Equal(DateTimeOffset.Parse(low, System.Globalization.CultureInfo.InvariantCulture).UtcTicks, actualLow);
        Assert.Equal(DateTimeOffset.Parse(high, System.Globalization.CultureInfo.InvariantCulture).UtcTicks, actualHigh);
    }

    [Theory]
    [InlineData("21")]
    [InlineData("2021-13")]
    [InlineData("2021-02-30")]
    [InlineData("yesterday")]
    [InlineData("2021-01-01T25:00")]
    public void Impossible_dates_do_not_parse(string value)
    {
        Assert.False(FhirDates.TryParse(value, out _, out _));
    }

    [Theory]
    [InlineData("Ångström", "angstrom")]
    [InlineData("ZOË", "zoe")]
    [InlineData("Straße", "strasse")]
    [InlineData("Łódź", "lodz")]
    public void String_matching_folds_case_and_accents(string value, string expected)
    {
        Assert.Equal(expected, FhirStrings.Normalize(value));
    }
}
