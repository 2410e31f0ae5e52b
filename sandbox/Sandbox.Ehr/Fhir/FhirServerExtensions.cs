using Sandbox.Ehr.Fhir.Faults;
using Sandbox.Ehr.Seed;

namespace Sandbox.Ehr.Fhir;

public static class FhirServerExtensions
{
    public static WebApplicationBuilder AddFhirServer(this WebApplicationBuilder builder)
    {
        var options = FhirServerOptions.From(builder.Configuration);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new FhirDatabase(options, builder.Environment.ContentRootPath));
        builder.Services.AddSingleton<SearchIndexer>();
        builder.Services.AddSingleton<FhirRepository>();
        builder.Services.AddSingleton<EhrModeRules>();
        builder.Services.AddSingleton<FhirEngine>();
        builder.Services.AddSingleton<IFhirStore, SqliteFhirStore>();
        builder.Services.AddSingleton<FaultInjector>();
        // Faults go first in the pipeline, before token validation, like a flaky network in front of the EHR.
        builder.Services.AddSingleton<IStartupFilter>(new FaultStartupFilter());
        return builder;
    }

    public static WebApplication MapFhirServer(this WebApplication app)
    {
        var database = app.Services.GetRequiredService<FhirDatabase>();
        var options = app.Services.GetRequiredService<FhirServerOptions>();
        if (options.Seed && (options.Reseed || database.IsEmpty()))
        {
            // Seeding goes through the same transaction processing as POST /fhir (trusted, no mode rules).
            var seed = SyntheticPatients.Build();
            app.Services.GetRequiredService<IFhirStore>().TransactionAsync(seed).GetAwaiter().GetResult();
            app.Logger.LogInformation("Seeded the FHIR store with {Count} synthetic resources", seed.Entry.Count);
            if (options.SeedCorpus)
            {
                var corpus = CorpusCharts.Build();
                app.Services.GetRequiredService<IFhirStore>().TransactionAsync(corpus).GetAwaiter().GetResult();
                app.Logger.LogInformation("Seeded the FHIR store with {Count} corpus resources", corpus.Entry.Count);
            }
        }
        FhirEndpoints.Map(app);
        FaultAdmin.Map(app);
        return app;
    }

    private sealed class FaultStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseMiddleware<FaultMiddleware>();
            next(app);
        };
    }
}
