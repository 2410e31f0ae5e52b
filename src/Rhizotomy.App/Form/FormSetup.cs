using Rhizotomy.Core.Templates;

namespace Rhizotomy.App.Form;

/// <summary>The template API and the note form page.</summary>
public static class FormSetup
{
    public static WebApplicationBuilder AddNoteForm(this WebApplicationBuilder builder)
    {
        // Loaded once at start: a broken template folder stops the app with a message naming the file.
        builder.Services.AddSingleton(_ => TemplateCatalog.LoadDefault());
        // The encounter control of a launch without one (reads through the write-back's lookup and plan).
        builder.Services.AddSingleton<EncounterPicker>();
        return builder;
    }

    public static IEndpointRouteBuilder MapNoteForm(this IEndpointRouteBuilder app)
    {
        app.MapTemplateApi();
        app.MapNotePage();
        app.MapSmartStyle();
        return app;
    }
}
