namespace Rhizotomy.Tests.Shared;

/// <summary>What the tests and load drivers tell the sandbox EHR about the app they run (a public client).</summary>
public static class SandboxRegistration
{
    /// <summary>The app at <paramref name="appOrigin"/> registered as a public client with the scopes a launch asks.</summary>
    public static Dictionary<string, string?> PublicApp(string clientId, string appOrigin) => new()
    {
        ["Sandbox:Clients:0:ClientId"] = clientId,
        ["Sandbox:Clients:0:Type"] = "public",
        ["Sandbox:Clients:0:RedirectUris:0"] = appOrigin + "/callback",
        ["Sandbox:Clients:0:LaunchUrl"] = appOrigin + "/launch",
        ["Sandbox:Clients:0:Scopes:0"] = "openid",
        ["Sandbox:Clients:0:Scopes:1"] = "fhirUser",
        ["Sandbox:Clients:0:Scopes:2"] = "launch",
        ["Sandbox:Clients:0:Scopes:3"] = "offline_access",
        ["Sandbox:Clients:0:Scopes:4"] = "patient/*",
        ["Sandbox:Clients:0:Scopes:5"] = "user/*",
    };
}
