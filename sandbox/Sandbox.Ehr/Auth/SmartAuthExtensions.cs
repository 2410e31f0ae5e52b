using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenIddict.Validation.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Sandbox.Ehr.Auth;

public static class SmartAuthExtensions
{
    public static WebApplicationBuilder AddSmartAuthorization(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(SandboxAuthOptions.Section);
        builder.Services.AddOptions<SandboxAuthOptions>().Bind(section).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<SandboxAuthOptions>, SandboxSettingsValidator>();
        var options = section.Get<SandboxAuthOptions>() ?? new SandboxAuthOptions();

        // OpenIddict's Information logs echo request parameters (code_verifier, launch) and token
        // responses (patient): keep them out of the logs unless someone asks for them explicitly.
        builder.Logging.AddFilter("OpenIddict", LogLevel.Warning);
        if (builder.Configuration["Serilog:MinimumLevel:Override:OpenIddict"] is null)
        {
            builder.Configuration.AddInMemoryCollection([new("Serilog:MinimumLevel:Override:OpenIddict", "Warning")]);
        }

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SmartUrls>();
        builder.Services.AddSingleton<SmartClients>();
        builder.Services.AddSingleton<LaunchContexts>();
        builder.Services.AddSingleton<ClientAssertionReplayGuard>();
        builder.Services.AddHttpClient(ClientJwksResolver.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(10));

        AddStorage(builder, options);

        builder.Services.AddAntiforgery(antiforgery => antiforgery.Cookie.Name = "sandbox-antiforgery");

        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<AuthDbContext>())
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris(SmartUrls.AuthorizePath.TrimStart('/'))
                    .SetTokenEndpointUris(SmartUrls.TokenPath.TrimStart('/'))
                    .SetIntrospectionEndpointUris(SmartUrls.IntrospectPath.TrimStart('/'))
                    .SetJsonWebKeySetEndpointUris(SmartUrls.JwksPath.TrimStart('/'))
                    .SetConfigurationEndpointUris(SmartUrls.OpenIdConfigurationPath.TrimStart('/'));

                server.AllowAuthorizationCodeFlow().AllowRefreshTokenFlow().AllowClientCredentialsFlow();
                server.RequireProofKeyForCodeExchange();

                // SMART scopes are open-ended (patient/Condition.rs, system/*.read, ...): the sandbox
                // narrows them per client itself (SmartClients.Narrow) instead of registering each one.
                server.DisableScopeValidation();
                server.IgnoreScopePermissions();

                // The app side validates our access tokens itself: plain signed JWTs, not encrypted ones.
                server.DisableAccessTokenEncryption();
                server.SetAccessTokenLifetime(TimeSpan.FromMinutes(options.AccessTokenMinutes));

                // A refresh token is single use: the rotated one replaces it at once (no reuse window).
                server.SetRefreshTokenReuseLeeway(TimeSpan.Zero);

                // In memory: ephemeral keys. On file: keys kept beside auth.db, so stored refresh
                // tokens and issued access tokens stay valid across restarts. Never a dev certificate.
                if (options.InMemory)
                {
                    server.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
                }
                else
                {
                    var keys = Path.Combine(Path.GetFullPath(options.DataFolder, builder.Environment.ContentRootPath), "token-keys");
                    server.AddSigningKey(SandboxKeys.LoadOrCreate(Path.Combine(keys, "token-signing.pem")))
                        .AddEncryptionKey(SandboxKeys.LoadOrCreate(Path.Combine(keys, "token-encryption.pem")));
                }

                if (!string.IsNullOrWhiteSpace(options.PublicOrigin))
                {
                    server.SetIssuer(new Uri(options.PublicOrigin.TrimEnd('/') + "/"));
                }

                server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    // Sandbox only: it runs over plain http on loopback.
                    .DisableTransportSecurityRequirement();

                server.AddEventHandler(ClientJwksResolver.Descriptor);
                server.AddEventHandler(GenericJwtClientAssertions.BeforeValidation);
                server.AddEventHandler(GenericJwtClientAssertions.AfterValidation);
                server.AddEventHandler(TokenEndpointAssertionAudience.Descriptor);
                server.AddEventHandler(ClientAssertionReplayGuard.Descriptor);
                server.AddEventHandler(OnlineAccessRefreshTokens.Descriptor);
                server.AddEventHandler(IntrospectionLaunchClaims.Descriptor);
                server.AddEventHandler(IssuerFromSandboxOrigin.Descriptor);

                // Only S256: plain PKCE is refused. Client authentication as SMART lists it:
                // client_secret_basic and private_key_jwt (no client_secret_post).
                server.Configure(settings =>
                {
                    settings.CodeChallengeMethods.Clear();
                    settings.CodeChallengeMethods.Add(CodeChallengeMethods.Sha256);
                    settings.ClientAuthenticationMethods.Remove(ClientAuthenticationMethods.ClientSecretPost);
                });
            })
            .AddValidation(validation =>
            {
                validation.UseLocalServer();
                validation.UseAspNetCore();
                validation.AddEventHandler(ValidationIssuerFromSandboxOrigin.Descriptor);
            });

        builder.Services.AddHostedService<AuthStoreInitializer>();
        return builder;
    }

    private static void AddStorage(WebApplicationBuilder builder, SandboxAuthOptions options)
    {
        if (options.InMemory)
        {
            // A named shared-cache memory database lives as long as one connection stays open;
            // every DbContext opens its own connection to it, so concurrent requests stay safe.
            var connectionString = new SqliteConnectionStringBuilder
            {
                DataSource = "sandbox-auth-" + Guid.NewGuid().ToString("N"),
                Mode = SqliteOpenMode.Memory,
                Cache = SqliteCacheMode.Shared,
            }.ToString();
            // Created (and opened) by AuthStoreInitializer before first use; the container disposes it with the host.
            builder.Services.AddSingleton(_ => AuthDatabaseKeepAlive.Open(connectionString));
            builder.Services.AddDbContext<AuthDbContext>(db => db.UseSqlite(connectionString).UseOpenIddict());
            builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
            return;
        }

        var folder = Path.GetFullPath(options.DataFolder, builder.Environment.ContentRootPath);
        Directory.CreateDirectory(folder);
        var file = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "auth.db") }.ToString();
        builder.Services.AddDbContext<AuthDbContext>(db => db.UseSqlite(file).UseOpenIddict());
        builder.Services.AddDataProtection()
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(folder, "keys")))
            .SetApplicationName("Sandbox.Ehr");
    }

    /// <summary>
    /// Validates bearer tokens on FHIR requests and sets <see cref="SmartAccess"/>. It never rejects:
    /// the FHIR server answers 401/403 when the feature is missing or too narrow.
    /// </summary>
    public static WebApplication UseSmartAuthorization(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/fhir") &&
                context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                var result = await context.AuthenticateAsync(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme);
                if (result.Succeeded && result.Principal is { } principal)
                {
                    context.Features.Set(SmartAccessFactory.FromPrincipal(principal));
                }
            }

            await next(context);
        });
        return app;
    }

    public static WebApplication MapSmartAuthorization(this WebApplication app)
    {
        app.MapAuthorizeEndpoint();
        app.MapTokenEndpoint();
        app.MapSmartDiscovery();
        return app;
    }
}

/// <summary>Holds the connection that keeps the in-memory auth database alive for the host's lifetime.</summary>
public sealed class AuthDatabaseKeepAlive : IDisposable
{
    private readonly SqliteConnection _connection;

    private AuthDatabaseKeepAlive(SqliteConnection connection) => _connection = connection;

    public static AuthDatabaseKeepAlive Open(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        return new AuthDatabaseKeepAlive(connection);
    }

    public void Dispose() => _connection.Dispose();
}
