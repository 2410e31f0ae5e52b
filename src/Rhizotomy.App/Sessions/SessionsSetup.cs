using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Rhizotomy.App.Launch;
using StackExchange.Redis;

namespace Rhizotomy.App.Sessions;

/// <summary>Server-side session storage: memory by default, Redis when <c>App:Redis</c> is set.</summary>
public static class SessionsSetup
{
    public static WebApplicationBuilder AddSessions(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(AppOptions.Section).Get<AppOptions>() ?? new AppOptions();
        builder.Services.AddSingleton<SessionStore>();
        builder.Services.AddSingleton<SessionAccess>();
        builder.Services.AddCsrf(options);
        builder.Services.AddLaunchScope();

        // One name for every instance: protected payloads written by one are read by the others.
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName("Rhizotomy.App");
        if (!string.IsNullOrWhiteSpace(options.Redis))
        {
            var redis = ConnectionMultiplexer.Connect(options.Redis);
            builder.Services.AddSingleton<IConnectionMultiplexer>(redis);
            builder.Services.AddStackExchangeRedisCache(o =>
            {
                o.ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(redis);
                o.InstanceName = "rhizotomy:";
            });
            dataProtection.PersistKeysToStackExchangeRedis(redis, "rhizotomy:data-protection-keys");
        }
        else
        {
            builder.Services.AddDistributedMemoryCache();
            var folder = options.DataProtectionKeys ?? Path.Combine(builder.Environment.ContentRootPath, "App_Data", "keys");
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(folder));
        }
        // The key ring encrypted at rest with the operator's certificate (its private key decrypts it again).
        if (!string.IsNullOrWhiteSpace(options.DataProtectionCertificate))
            dataProtection.ProtectKeysWithCertificate(X509CertificateLoader.LoadPkcs12FromFile(options.DataProtectionCertificate, options.DataProtectionCertificatePassword));
        return builder;
    }
}
