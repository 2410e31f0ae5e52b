using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Sandbox.Ehr.Auth;

/// <summary>
/// Brings the auth database to the current schema (its migrations) and brings the registered clients in line with the configuration at
/// start-up: the configuration is the single source of truth for client registrations.
/// </summary>
public sealed class AuthStoreInitializer(IServiceProvider services, SmartClients clients) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // In-memory storage: open the keep-alive connection before the database is first touched.
        services.GetService<AuthDatabaseKeepAlive>();

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
        await AuthStoreMigrations.ApplyAsync(db, cancellationToken);

        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var registered = new List<object>();
        await foreach (var application in manager.ListAsync(count: null, offset: null, cancellationToken))
        {
            registered.Add(application);
        }

        // A client gone from the configuration is removed (with its grants); the others are updated
        // in place, so their refresh tokens survive a restart of a file-backed sandbox.
        foreach (var application in registered)
        {
            if (clients.Find(await manager.GetClientIdAsync(application, cancellationToken)) is null)
            {
                await manager.DeleteAsync(application, cancellationToken);
            }
        }

        foreach (var client in clients.All)
        {
            if (await manager.FindByClientIdAsync(client.ClientId, cancellationToken) is { } existing)
            {
                await manager.UpdateAsync(existing, Describe(client), cancellationToken);
            }
            else
            {
                await manager.CreateAsync(Describe(client), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static OpenIddictApplicationDescriptor Describe(SmartClientRegistration client)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = client.ClientId,
            DisplayName = client.DisplayName ?? client.ClientId,
            ClientType = client.IsConfidential ? ClientTypes.Confidential : ClientTypes.Public,
            ConsentType = ConsentTypes.Explicit,
        };

        foreach (var uri in client.RedirectUris)
        {
            descriptor.RedirectUris.Add(new Uri(uri, UriKind.Absolute));
        }

        descriptor.Permissions.UnionWith(
        [
            Permissions.Endpoints.Authorization,
            Permissions.Endpoints.Token,
            Permissions.GrantTypes.AuthorizationCode,
            Permissions.GrantTypes.RefreshToken,
            Permissions.ResponseTypes.Code,
        ]);
        descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);

        if (client.IsConfidential)
        {
            descriptor.Permissions.Add(Permissions.Endpoints.Introspection);
            descriptor.Permissions.Add(Permissions.GrantTypes.ClientCredentials);
        }

        if (client.IsAsymmetric)
        {
            // A client known only by its jwks_uri has its keys fetched when it authenticates
            // (ClientJwksResolver). OpenIddict insists on a key at registration: give it the public
            // half of a key pair whose private half is thrown away, so it verifies nothing.
            descriptor.JsonWebKeySet = string.IsNullOrWhiteSpace(client.Jwks) ? PlaceholderKeySet() : new JsonWebKeySet(client.Jwks);
        }
        else if (client.IsConfidential)
        {
            descriptor.ClientSecret = client.Secret;
        }

        return descriptor;
    }

    private static JsonWebKeySet PlaceholderKeySet()
    {
        using var rsa = RSA.Create(2048);
        var key = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: false)));
        key.Use = JsonWebKeyUseNames.Sig;
        var set = new JsonWebKeySet();
        set.Keys.Add(key);
        return set;
    }
}
