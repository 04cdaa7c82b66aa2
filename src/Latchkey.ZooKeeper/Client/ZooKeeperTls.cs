using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Latchkey.ZooKeeper.Client;

/// <summary>
/// TLS to a server's <c>secureClientPort</c> (ZooKeeper 3.5+ with the Netty connection factory): the server's
/// certificate must chain to <see cref="TrustedRoots"/> (or the system's CAs) and be issued for the host dialled
/// (or <see cref="ServerName"/>); <see cref="ClientCertificate"/> is presented when the server asks for one.
/// The ZooKeeper protocol then runs unchanged inside the TLS stream.
/// </summary>
internal sealed class ZooKeeperTls
{
    /// <summary>The CAs the server's certificate must chain to, instead of the system's; null: the system's.</summary>
    public X509Certificate2Collection? TrustedRoots { get; init; }

    /// <summary>The certificate (with its private key) presented to a server that asks for one.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>The name the server's certificate must be issued for; null: the host dialled.</summary>
    public string? ServerName { get; init; }

    /// <summary>Reads PEM files: the CA bundle, and a client certificate with its key (both or neither).</summary>
    /// <exception cref="FormatException">A file is missing or is not PEM of the expected kind.</exception>
    public static ZooKeeperTls Load(string? caFile, string? certFile, string? keyFile, string? serverName)
    {
        if ((certFile is null) != (keyFile is null))
        {
            throw new FormatException($"zk:// TLS needs both 'cert' and 'key' (PEM files of the client certificate and its private key), or neither; got only '{certFile ?? keyFile}'.");
        }

        X509Certificate2Collection? roots = null;
        X509Certificate2? client = null;
        try
        {
            if (caFile is not null)
            {
                roots = [];
                roots.ImportFromPemFile(caFile);
                if (roots.Count == 0)
                {
                    throw new FormatException($"zk:// ca file '{caFile}' holds no PEM certificate.");
                }
            }

            if (certFile is not null)
            {
                // Re-imported so the private key is usable by SslStream on every platform.
                using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
                client = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new FormatException($"zk:// TLS files could not be read (ca '{caFile}', cert '{certFile}', key '{keyFile}'): {ex.Message}", ex);
        }

        return new ZooKeeperTls { TrustedRoots = roots, ClientCertificate = client, ServerName = serverName };
    }

    /// <summary>Shakes hands over <paramref name="transport"/> (which the returned stream then owns).</summary>
    /// <exception cref="ZooKeeperTlsException">The handshake failed or the server's certificate was refused.</exception>
    public async Task<SslStream> AuthenticateAsync(Stream transport, string host, int port, CancellationToken cancellationToken)
    {
        var target = ServerName ?? host;
        string? refusal = null;
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = target,
            ClientCertificates = ClientCertificate is null ? null : [ClientCertificate],
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, _, errors) => (refusal = Refusal(certificate, errors, target)) is null,
        };
        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new ZooKeeperTlsException(
                $"TLS handshake with ZooKeeper at {host}:{port} failed: {refusal ?? ex.Message + " (is it the server's secureClientPort?)"}",
                certificateRefused: refusal is not null,
                ex);
        }
    }

    private string? Refusal(X509Certificate? certificate, SslPolicyErrors errors, string target)
    {
        if (certificate is null)
        {
            return "the server presented no certificate.";
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return $"the server's certificate ({leaf.Subject}) is not issued for '{target}'; connect by a name it is issued for, or set serverName= to one.";
        }

        if (TrustedRoots is null)
        {
            return errors == SslPolicyErrors.None ? null
                : $"the server's certificate ({leaf.Subject}, issued by {leaf.Issuer}) is not trusted by the system's CAs ({errors}); give the CA that signed it with ca=.";
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(TrustedRoots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(leaf))
        {
            return null;
        }

        var why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return $"the server's certificate ({leaf.Subject}, issued by {leaf.Issuer}) does not chain to the CA given in ca= ({TrustedRoots[0].Subject}): {why}";
    }
}
