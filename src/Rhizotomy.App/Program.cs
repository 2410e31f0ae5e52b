// The SMART-on-FHIR app that documents occipital nerve rhizotomy.
var builder = WebApplication.CreateBuilder(args);

var app = builder.Build();

app.MapGet("/health", () => Results.Ok());

app.Run();
