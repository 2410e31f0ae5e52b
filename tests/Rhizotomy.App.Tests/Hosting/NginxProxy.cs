using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Rhizotomy.App.Tests.Hosting;

/// <summary>
/// A self-signed certificate for <c>127.0.0.1</c> and <c>localhost</c>, made for one test run: trusted by the test's own
/// HttpClients (a validation callback that accepts this certificate only) and by Chromium through its SPKI hash, never
/// added to any store.
/// </summary>
public sealed class TestCertificate : IDisposable
{
    public TestCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=rhizotomy test proxy", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        CertificatePem = Certificate.ExportCertificatePem();
        KeyPem = key.ExportPkcs8PrivateKeyPem();
        SpkiSha256 = Convert.ToBase64String(SHA256.HashData(Certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    public X509Certificate2 Certificate { get; }
    public string CertificatePem { get; }
    public string KeyPem { get; }
    /// <summary>For Chromium's <c>--ignore-certificate-errors-spki-list</c>: this certificate only.</summary>
    public string SpkiSha256 { get; }

    /// <summary>True for this very certificate (by its thumbprint), whatever the chain says; false for any other.</summary>
    public bool Accepts(X509Certificate? presented) =>
        presented is not null && string.Equals(presented.GetCertHashString(), Certificate.GetCertHashString(), StringComparison.OrdinalIgnoreCase);

    /// <summary>A handler that trusts this certificate (and the machine's usual roots), as a hospital's own CA would be.</summary>
    public SocketsHttpHandler Handler(bool followRedirects = true, CookieContainer? cookies = null) => new()
    {
        AllowAutoRedirect = followRedirects,
        UseCookies = cookies is not null,
        CookieContainer = cookies ?? new CookieContainer(),
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) => errors == SslPolicyErrors.None || Accepts(certificate),
        },
    };

    public void Dispose() => Certificate.Dispose();
}

/// <summary>
/// Debian's nginx in a temporary folder, terminating TLS on loopback ports in front of plain-http upstreams, as a
/// hospital's reverse proxy does. It connects to its upstreams from <see cref="ProxyAddress"/> (another loopback
/// address), so the app can tell a request that came through it from one that did not.
/// </summary>
public sealed class NginxProxy : IAsyncDisposable
{
    /// <summary>The address nginx connects to upstreams from (<c>proxy_bind</c>): the app's configured known proxy.</summary>
    public const string ProxyAddress = "127.0.0.2";

    private readonly KeptOutputProcess _process;
    private readonly string _folder;

    private NginxProxy(KeptOutputProcess process, string folder)
    {
        _process = process;
        _folder = folder;
    }

    /// <summary>One TLS listener: <paramref name="Port"/> on 127.0.0.1, round-robin over the upstream ports.</summary>
    public sealed record Site(string Name, int Port, IReadOnlyList<int> Upstreams);

    /// <summary>Starts nginx with one https server per site; <see cref="PortTakenException"/> when a listener's port was taken.</summary>
    public static async Task<NginxProxy> StartAsync(TestCertificate certificate, params Site[] sites)
    {
        var folder = Directory.CreateTempSubdirectory("rhizotomy-nginx-").FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "cert.pem"), certificate.CertificatePem);
        await File.WriteAllTextAsync(Path.Combine(folder, "key.pem"), certificate.KeyPem);
        var config = new StringBuilder();
        config.AppendLine(CultureInfo.InvariantCulture, $"pid {folder}/nginx.pid;");
        // As root the workers would otherwise run as nobody, who cannot enter this private temporary folder.
        if (Environment.UserName == "root")
            config.AppendLine("user root root;");
        config.AppendLine("worker_processes 1;");
        config.AppendLine("events { worker_connections 512; }");
        config.AppendLine("http {");
        config.AppendLine("  access_log off;");
        foreach (var temp in new[] { "client_body", "proxy", "fastcgi", "uwsgi", "scgi" })
            config.AppendLine(CultureInfo.InvariantCulture, $"  {temp}_temp_path {folder}/{temp};");
        foreach (var site in sites)
        {
            config.AppendLine(CultureInfo.InvariantCulture, $"  upstream {site.Name} {{");
            foreach (var port in site.Upstreams)
                config.AppendLine(CultureInfo.InvariantCulture, $"    server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;");
            config.AppendLine("  }");
            config.AppendLine("  server {");
            config.AppendLine(CultureInfo.InvariantCulture, $"    listen 127.0.0.1:{site.Port} ssl;");
            config.AppendLine(CultureInfo.InvariantCulture, $"    ssl_certificate {folder}/cert.pem;");
            config.AppendLine(CultureInfo.InvariantCulture, $"    ssl_certificate_key {folder}/key.pem;");
            // The same proxy settings as src/Rhizotomy.App/deploy/nginx-site.conf (the parts a test can use).
            config.AppendLine(File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "src", "Rhizotomy.App", "deploy", "nginx-proxy-settings.conf")));
            config.AppendLine(CultureInfo.InvariantCulture, $"    location / {{ proxy_pass http://{site.Name}; proxy_bind {ProxyAddress}; }}");
            config.AppendLine("  }");
        }
        config.AppendLine("}");
        var file = Path.Combine(folder, "nginx.conf");
        await File.WriteAllTextAsync(file, config.ToString());

        var start = new ProcessStartInfo(File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx")
        {
            ArgumentList = { "-p", folder, "-c", file, "-e", Path.Combine(folder, "error.log"), "-g", "daemon off;" },
        };
        var process = KeptOutputProcess.Start(start);
        var proxy = new NginxProxy(process, folder);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var log = proxy.ErrorLog();
            if (process.Process.HasExited || log.Contains("emerg", StringComparison.Ordinal))
            {
                await proxy.DisposeAsync();
                if (Loopback.SaysPortTaken(log + process.Output))
                    throw new PortTakenException("nginx", sites[0].Port, log);
                throw new InvalidOperationException("nginx did not start: " + log + process.Output);
            }
            if (await AllListenAsync(sites))
                return proxy;
            if (DateTime.UtcNow > deadline)
            {
                await proxy.DisposeAsync();
                throw new InvalidOperationException("nginx did not listen: " + log);
            }
            await Task.Delay(100);
        }
    }

    private static async Task<bool> AllListenAsync(IEnumerable<Site> sites)
    {
        foreach (var site in sites)
        {
            using var client = new System.Net.Sockets.TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, site.Port);
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
        }
        return true;
    }

    public string ErrorLog()
    {
        var path = Path.Combine(_folder, "error.log");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (IOException)
        {
            return "";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
