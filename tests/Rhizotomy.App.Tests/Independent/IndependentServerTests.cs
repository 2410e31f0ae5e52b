using System.Net;
using Hl7.Fhir.Model;
using Rhizotomy.App.Tests.WriteBack;
using Rhizotomy.Core.Clinical;
using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.Tests.Independent;

/// <summary>
/// Issue 14 point 8: the app against a FHIR server nobody here wrote (Medplum's FHIR router, see
/// <see cref="IndependentServer"/>): an EHR launch, the chart reads with paging, every write strategy and the ladder's fallback.
/// </summary>
[Trait("Category", "Slow")]
public class IndependentServerTests
{
    [Fact]
    public async Task An_ehr_launch_reads_the_chart_across_small_pages()
    {
        // One entry a page: every search with more than one match is read by following next links.
        await using var world = await IndependentWorld.StartAsync(pageSize: 1);
        await world.Server.LoadAsync([new Condition
        {
            Id = "test-classic-left-second", Subject = new ResourceReference("Patient/test-classic-left"),
            ClinicalStatus = new CodeableConcept(Known.Systems.ConditionClinical, "active"),
            VerificationStatus = new CodeableConcept(Known.Systems.ConditionVerification, "confirmed"),
            Code = new CodeableConcept(Known.Systems.Icd10Cm, "G44.86", "Cervicogenic headache"),
            Onset = new FhirDateTime("2021-05"),
        }]);

        using var tab = await world.LaunchAsync();
        using var page = await tab.Browser.GetAsync(new Uri($"{world.World.AppOrigin}/s/{tab.LaunchId}"));
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Occipital neuralgia", html, StringComparison.Ordinal);
        // Two diagnoses, one a page: the second is on the page the next link leads to.
        Assert.Contains("Cervicogenic headache", html, StringComparison.Ordinal);
        Assert.Contains("85% relief", html, StringComparison.Ordinal);
    }
}
