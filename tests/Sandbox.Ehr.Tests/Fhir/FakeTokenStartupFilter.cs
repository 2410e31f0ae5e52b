using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Sandbox.Ehr.Auth;

namespace Sandbox.Ehr.Tests.Fhir;

/// <summary>
/// Test-only stand-in for the SMART token middleware (on the smart-auth branch): it reads the
/// granted access from a test header and sets the <see cref="SmartAccess"/> feature, so the FHIR
/// server's own enforcement can be tested before real tokens exist. Fake: no token is validated.
/// </summary>
public sealed class FakeTokenStartupFilter : IStartupFilter
{
    public const string Header = "X-Fake-Smart-Access";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (http, nextMiddleware) =>
        {
            if (http.Request.Headers.TryGetValue(Header, out var value) && http.Features.Get<SmartAccess>() is null)
            {
                http.Features.Set(JsonSerializer.Deserialize<SmartAccess>(value.ToString()));
            }
            await nextMiddleware(http);
        });
        next(app);
    };

    public static string Encode(SmartAccess access) => JsonSerializer.Serialize(access);
}
