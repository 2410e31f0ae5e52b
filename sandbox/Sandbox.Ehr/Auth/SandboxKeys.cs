using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Sandbox.Ehr.Auth;

/// <summary>RSA keys of the sandbox's token server, kept as PEM files in its data folder (dev-only keys).</summary>
internal static class SandboxKeys
{
    public static SecurityKey LoadOrCreate(string pemPath)
    {
        var rsa = RSA.Create(2048);
        if (File.Exists(pemPath))
        {
            rsa.ImportFromPem(File.ReadAllText(pemPath));
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(pemPath)!);
            File.WriteAllText(pemPath, rsa.ExportPkcs8PrivateKeyPem());
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(pemPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        // Stable key id: the same file gives the same kid after a restart.
        var parameters = rsa.ExportParameters(includePrivateParameters: false);
        var kid = Base64UrlEncoder.Encode(SHA256.HashData(parameters.Modulus!))[..16];
        return new RsaSecurityKey(rsa) { KeyId = kid };
    }
}
