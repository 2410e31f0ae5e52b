using System.Net;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Sandbox.Ehr.Fhir;
using Sandbox.Ehr.Hosting;

namespace Sandbox.Ehr.Tests.Fhir;

public sealed class StorageTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sandbox-fhir-test-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async System.Threading.Tasks.Task A_file_store_is_seeded_when_empty_keeps_its_data_across_restarts_and_reseed_wipes_it()
    {
        var patient = Make.Patient(Make.NewId());
        await using (var first = await SandboxServer.StartAsync("Sandbox:Storage=file", $"Sandbox:DataFolder={_folder}", "Sandbox:Seed=true"))
        {
            // An empty store is seeded with the synthetic patients on start.
            foreach (var id in Sandbox.Ehr.Seed.SyntheticPatients.PatientIds)
            {
                Assert.Equal(HttpStatusCode.OK, (await first.GetAsync($"Patient/{id}")).Status);
            }
            await first.PutAsync(patient);
        }
        Assert.True(File.Exists(Path.Combine(_folder, "sandbox-fhir.db")));

        await using (var second = await SandboxServer.StartAsync("Sandbox:Storage=file", $"Sandbox:DataFolder={_folder}"))
        {
            Assert.Equal(HttpStatusCode.OK, (await second.GetAsync($"Patient/{patient.Id}")).Status);
        }

        await using var reseeded = await SandboxServer.StartAsync("Sandbox:Storage=file", $"Sandbox:DataFolder={_folder}", "Sandbox:Reseed=true");
        Assert.Equal(HttpStatusCode.NotFound, (await reseeded.GetAsync($"Patient/{patient.Id}")).Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task The_corpus_charts_are_served_with_their_ids_and_names_only_when_Sandbox_Seed_Corpus_is_on()
    {
        await using (var plain = await SandboxServer.StartAsync("Sandbox:Seed=true"))
        {
            Assert.Equal(HttpStatusCode.OK, (await plain.GetAsync("Patient/classic-left")).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await plain.GetAsync("Patient/corpus-01")).Status);
        }

        await using var server = await SandboxServer.StartAsync("Sandbox:Seed=true", "Sandbox:Seed:Corpus=true");
        var corpus = Sandbox.Ehr.Seed.CorpusCharts.Build();
        Assert.Equal(32, corpus.Entry.Count(e => e.Resource is Patient));
        foreach (var resource in corpus.Entry.Select(e => e.Resource!))
        {
            Assert.Equal(HttpStatusCode.OK, (await server.GetAsync($"{resource.TypeName}/{resource.Id}")).Status);
        }
        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync("Patient/classic-left")).Status);
        var patient = Assert.IsType<Patient>((await server.GetAsync("Patient/corpus-24")).Resource);
        Assert.Equal("Achterberg", patient.Name.Single().Family);
    }

    [Fact]
    public void The_bare_reseed_flag_becomes_configuration()
    {
        Assert.Equal(["--Sandbox:Reseed=true", "--urls=x"], SandboxHosting.NormalizeArgs(["--reseed", "--urls=x"]));
    }

    [Fact]
    public async System.Threading.Tasks.Task The_in_process_store_reads_searches_unpaged_and_runs_transactions_and_limits_are_configurable()
    {
        await using var server = await SandboxServer.StartAsync("Sandbox:Fhir:MaxCount=3", "Sandbox:Fhir:DefaultCount=2", "Sandbox:Fhir:MaxBodyBytes=2000");
        var store = server.App.Services.GetRequiredService<IFhirStore>();
        var patientId = Make.NewId();
        var seed = new Bundle { Type = Bundle.BundleType.Transaction };
        seed.Entry.Add(new() { FullUrl = $"Patient/{patientId}", Resource = Make.Patient(patientId), Request = new() { Method = Bundle.HTTPVerb.PUT, Url = $"Patient/{patientId}" } });
        for (var i = 0; i < 7; i++)
        {
            var id = $"{patientId}-c{i}";
            var condition = Make.Condition(patientId);
            condition.Id = id;
            seed.Entry.Add(new() { Resource = condition, Request = new() { Method = Bundle.HTTPVerb.PUT, Url = $"Condition/{id}" } });
        }

        var response = await store.TransactionAsync(seed);
        var read = await store.ReadAsync("Patient", patientId);
        var all = await store.SearchAsync("Condition", $"patient={patientId}");
        var page = await server.SearchAsync($"Condition?patient={patientId}&_count=100");
        var defaultPage = await server.SearchAsync($"Condition?patient={patientId}");
        var large = await server.SendAsync(HttpMethod.Post, "Patient", Make.Patient(family: new string('x', 3000)));

        Assert.All(response.Entry, e => Assert.Equal("201 Created", e.Response!.Status));
        Assert.Equal(patientId, read?.Id);
        Assert.Equal(7, all.Count);
        Assert.Equal(3, page.Entry.Count);
        Assert.Equal(2, defaultPage.Entry.Count);
        Assert.Equal(7, defaultPage.Total);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.Status);
        Assert.Null(await store.ReadAsync("Patient", "nobody"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.TransactionAsync(new Bundle { Type = Bundle.BundleType.Collection }));
    }

    [Fact]
    public async System.Threading.Tasks.Task An_unknown_mode_stops_the_start_with_a_clear_message()
    {
        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => SandboxServer.StartAsync("Sandbox:Mode=cerberus"));
        Assert.Contains("cerberus", error.Message);
    }
}
