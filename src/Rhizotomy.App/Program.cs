// The SMART-on-FHIR app that documents occipital nerve rhizotomy.
return await Rhizotomy.App.StartupSettings.RunAsync(() => Rhizotomy.App.AppHost.Build(args));
