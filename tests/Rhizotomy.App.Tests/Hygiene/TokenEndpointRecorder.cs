using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Rhizotomy.App.Tests.Hygiene;

/// <summary>
/// Sits in front of the sandbox's token endpoint and writes down what crosses it (authorization
/// code, code_verifier, client credentials, access/refresh/id tokens), so the tests know the real
/// values to look for. It records; it changes nothing.
/// </summary>
public sealed class TokenEndpointRecorder(Secrets secrets) : IStartupFilter
{
    private static readonly string[] RequestFields = ["code", "code_verifier", "refresh_token", "client_secret", "client_assertion"];
    private static readonly string[] ResponseFields = ["access_token", "refresh_token", "id_token"];

    /// <summary>The access token most recently issued (to call the sandbox's FHIR API directly).</summary>
    public string? LastAccessToken { get; private set; }

    /// <summary>Cache-Control of every token endpoint answer.</summary>
    public List<string> CacheControls { get; } = [];

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, nextStep) =>
        {
            if (!context.Request.Path.Equals("/auth/token", StringComparison.OrdinalIgnoreCase))
            {
                await nextStep(context);
                return;
            }
            context.Request.EnableBuffering();
            if (context.Request.HasFormContentType)
            {
                var form = await context.Request.ReadFormAsync();
                foreach (var field in RequestFields)
                    secrets.Add(field, form[field].ToString());
                context.Request.Body.Position = 0;
            }
            if (AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization, out var auth) && auth.Scheme == "Basic" && auth.Parameter is not null)
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(auth.Parameter));
                secrets.Add("client_secret", Uri.UnescapeDataString(pair[(pair.IndexOf(':', StringComparison.Ordinal) + 1)..]));
            }

            var original = context.Response.Body;
            using var buffer = new MemoryStream();
            context.Response.Body = buffer;
            try
            {
                await nextStep(context);
            }
            finally
            {
                context.Response.Body = original;
                lock (CacheControls)
                    CacheControls.Add(context.Response.Headers.CacheControl.ToString());
                var body = buffer.ToArray();
                try
                {
                    using var json = JsonDocument.Parse(body);
                    foreach (var field in ResponseFields)
                    {
                        if (json.RootElement.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String)
                        {
                            secrets.Add(field, value.GetString());
                            if (field == "access_token")
                                LastAccessToken = value.GetString();
                        }
                    }
                }
                catch (JsonException)
                {
                }
                await original.WriteAsync(body);
            }
        });
        next(app);
    };
}
