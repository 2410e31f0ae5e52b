using Hl7.Fhir.Model;
using Rhizotomy.App.Form;
using Rhizotomy.Core.Templates;

namespace Rhizotomy.App.Tests.Form;

/// <summary>GET /api/templates lists each template of the catalog itself.</summary>
public class TemplatesBundleTests
{
    [Fact]
    public void Two_versions_of_one_canonical_without_ids_are_both_listed()
    {
        var v1 = SiteTemplates.Build();
        v1.Id = null;
        v1.Version = "1.0.0";
        var v2 = SiteTemplates.Build();
        v2.Id = null;
        v2.Version = "2.0.0";

        var bundle = TemplateApi.TemplatesBundle(TemplateCatalog.From([v1, v2]));

        Assert.Equal(2, bundle.Total);
        Assert.Equal(["1.0.0", "2.0.0"], bundle.Entry.Select(e => Assert.IsType<Questionnaire>(e.Resource).Version).Order(StringComparer.Ordinal));
    }
}
