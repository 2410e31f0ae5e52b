// The SMART-on-FHIR app that documents occipital nerve rhizotomy.
Rhizotomy.App.AppHost.Build(args).Run();
