using Rhizotomy.Core.Templates;

namespace Rhizotomy.App.Form;

/// <summary>The template API and the note form page.</summary>
public static class FormSetup
{
    public static WebApplicationBuilder AddNoteForm(this WebApplicationBuilder builder)
    {
        // Loaded once at start: a broken template folder stops the app with a message naming the file.
        builder.Services.AddSingleton(_ => LoadTemplates(builder.Configuration));
        // The encounter control of a launch without one (reads through the write-back's lookup and plan).
        builder.Services.AddSingleton<EncounterPicker>();
        // "My usual": the surgeon's previous note of a template, from the write-back's store.
        builder.Services.AddSingleton<MyUsual>();
        return builder;
    }

    /// <summary>
    /// The shipped templates, plus the site's folder <c>App:Templates:Folder</c> (relative to the working folder) when set:
    /// beside the shipped ones, or instead of them with <c>App:Templates:ReplaceShipped</c> = true.
    /// </summary>
    public static TemplateCatalog LoadTemplates(IConfiguration configuration) =>
        TemplateCatalog.Load(TemplateCatalog.DefaultFolder, configuration["App:Templates:Folder"],
            configuration.GetValue<bool>("App:Templates:ReplaceShipped"));

    public static IEndpointRouteBuilder MapNoteForm(this IEndpointRouteBuilder app)
    {
        app.MapTemplateApi();
        app.MapNotePage();
        app.MapSmartStyle();
        return app;
    }
}
