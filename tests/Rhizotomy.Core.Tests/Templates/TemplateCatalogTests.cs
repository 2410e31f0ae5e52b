using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Rhizotomy.Core.Clinical;
using Rhizotomy.Core.Templates;

namespace Rhizotomy.Core.Tests.Templates;

public sealed class TemplateCatalogTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rhizotomy-templates-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private void Write(string name, Resource resource) =>
        File.WriteAllText(Path.Combine(_folder, name), new FhirJsonSerializer().SerializeToString(resource));

    [Fact]
    public void The_templates_shipped_beside_the_assembly_load_and_are_found_by_id_and_canonical()
    {
        var catalog = TemplateCatalog.LoadDefault();

        Assert.Equal([TemplateDefinitions.CoagulationId, TemplateDefinitions.NeurectomyId], catalog.List().Select(t => t.Id).Order());
        var url = Known.QuestionnaireUrl(TemplateDefinitions.NeurectomyId);
        Assert.Equal(url, catalog.Find(TemplateDefinitions.NeurectomyId)?.Url);
        Assert.Equal(url, catalog.Find(url)?.Url);
        Assert.Equal(url, catalog.Find(url + "|" + TemplateDefinitions.Version)?.Url);
        Assert.Null(catalog.Find(url + "|9.9.9"));
        Assert.Null(catalog.Find("http://example.org/Questionnaire/other"));
    }

    [Fact]
    public void A_site_can_add_its_own_template_as_a_file_without_code()
    {
        var site = TemplateDefinitions.Build(Technique.Neurectomy);
        site.Id = "site-neurectomy";
        site.Url = "http://hospital.example/fhir/Questionnaire/site-neurectomy";
        site.Title = "Site operative note";
        // The site drops the third occipital nerve from its form.
        var nerves = site.Item.Single(i => i.LinkId == LinkIds.Nerves);
        nerves.Item.RemoveAll(i => i.LinkId!.StartsWith("treat-ton", StringComparison.Ordinal));
        Write("site.json", site);

        var catalog = TemplateCatalog.Load(_folder);

        var found = catalog.Find(site.Url);
        Assert.NotNull(found);
        Assert.Equal("Site operative note", catalog.List().Single().Title);
        Assert.DoesNotContain(TemplateCatalog.Flatten(found.Item), i => i.LinkId == "treat-ton-left");
    }

    [Fact]
    public void Find_returns_a_copy_so_callers_cannot_change_the_catalog()
    {
        var catalog = TemplateCatalog.From(TemplateDefinitions.All());
        catalog.Find(TemplateDefinitions.NeurectomyId)!.Item.Clear();
        Assert.NotEmpty(catalog.Find(TemplateDefinitions.NeurectomyId)!.Item);
    }

    [Fact]
    public void A_folder_with_bad_files_fails_with_a_message_naming_each_file_and_why()
    {
        File.WriteAllText(Path.Combine(_folder, "broken.json"), "{ \"resourceType\": \"Questionnaire\", ");
        Write("patient.json", new Patient { Id = "p" });
        var duplicateIds = TemplateDefinitions.Build(Technique.Neurectomy);
        duplicateIds.Item[0].LinkId = LinkIds.Indication;
        Write("duplicate.json", duplicateIds);
        var noEnabler = TemplateDefinitions.Build(Technique.Coagulation);
        noEnabler.Item.Single(i => i.LinkId == LinkIds.Performed).Item.RemoveAt(0);
        Write("reduced.json", noEnabler);

        var e = Assert.Throws<TemplateCatalogException>(() => TemplateCatalog.Load(_folder));

        Assert.Contains("broken.json: it is not valid FHIR JSON", e.Message);
        Assert.Contains("patient.json: it is a Patient, not a Questionnaire.", e.Message);
        Assert.Contains("duplicate.json: linkId 'indication' is used more than once.", e.Message);
        Assert.Contains("reduced.json: the template has no item 'performed-start'", e.Message);
    }

    [Fact]
    public void A_missing_or_empty_folder_is_a_clear_error()
    {
        Assert.Contains("does not exist", Assert.Throws<TemplateCatalogException>(() => TemplateCatalog.Load(Path.Combine(_folder, "nope"))).Message);
        Assert.Contains("holds no template", Assert.Throws<TemplateCatalogException>(() => TemplateCatalog.Load(_folder)).Message);
    }

    [Fact]
    public void Two_files_defining_the_same_template_version_are_refused()
    {
        Write("a.json", TemplateDefinitions.Build(Technique.Neurectomy));
        Write("b.json", TemplateDefinitions.Build(Technique.Neurectomy));
        Assert.Contains("b.json: another file already defines", Assert.Throws<TemplateCatalogException>(() => TemplateCatalog.Load(_folder)).Message);
    }
}
