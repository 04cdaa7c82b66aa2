using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Latchkey.Etcd.Tests;

/// <summary>User/password auth and TLS with client certificates, each against an etcd of the test's own.</summary>
public sealed class EtcdSecurityTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("latchkey-etcd-sec-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Auth_RightPasswordWorks_WrongOrMissingOneIsRefused()
    {
        using var etcd = await OwnEtcd.StartAsync(_dir);
        await etcd.EtcdctlAsync("user", "add", "root:s3cret");
        await etcd.EtcdctlAsync("auth", "enable");
        var hostPort = $"127.0.0.1:{etcd.Port}";

        await using (var right = LockProvider.Connect($"etcd://root:s3cret@{hostPort}?ttl=5s"))
        {
            await using var held = await right.CreateLock("auth").AcquireAsync(Patience, Ct);
            Assert.Single((await right.GetStatusAsync(LockKind.Lock, "auth", Ct)).Holders);
        }

        await using (var wrong = LockProvider.Connect($"etcd://root:wrong@{hostPort}?ttl=5s"))
        {
            await Assert.ThrowsAsync<LockAuthenticationException>(async () => await wrong.ConnectAsync(Ct));
        }

        await using (var anonymous = LockProvider.Connect($"etcd://{hostPort}?ttl=5s"))
        {
            await Assert.ThrowsAsync<LockAuthenticationException>(async () => await anonymous.CreateLock("auth").TryAcquireAsync(cancellationToken: Ct));
        }
    }

    [Fact]
    public async Task Tls_WithCaAndClientCertificate_Works_AndWithoutThemFails()
    {
        var pki = WritePki();
        using var etcd = await OwnEtcd.StartAsync(_dir, (pki.ServerCert, pki.ServerKey, pki.Ca));
        var hostPort = $"127.0.0.1:{etcd.Port}";

        await using (var provider = LockProvider.Connect($"etcds://{hostPort}?ttl=5s&ca={pki.Ca}&cert={pki.ClientCert}&key={pki.ClientKey}"))
        {
            await using var held = await provider.CreateLock("tls").AcquireAsync(Patience, Ct);
            Assert.True(held.FencingToken > 0);
        }

        await using (var noClientCert = LockProvider.Connect($"etcds://{hostPort}?ttl=5s&ca={pki.Ca}&connectTimeout=2s&requestTimeout=3s"))
        {
            await Assert.ThrowsAnyAsync<LockBackendUnavailableException>(async () => await noClientCert.ConnectAsync(Ct));
        }

        await using (var wrongCa = LockProvider.Connect($"etcds://{hostPort}?ttl=5s&ca={pki.OtherCa}&cert={pki.ClientCert}&key={pki.ClientKey}&connectTimeout=2s&requestTimeout=3s"))
        {
            await Assert.ThrowsAnyAsync<LockBackendUnavailableException>(async () => await wrongCa.ConnectAsync(Ct));
        }

        await using (var plain = LockProvider.Connect($"etcd://{hostPort}?ttl=5s&connectTimeout=2s&requestTimeout=3s"))
        {
            await Assert.ThrowsAnyAsync<LockBackendUnavailableException>(async () => await plain.ConnectAsync(Ct));
        }
    }

    private (string Ca, string OtherCa, string ServerCert, string ServerKey, string ClientCert, string ClientKey) WritePki()
    {
        using var caKey = RSA.Create(2048);
        using var ca = NewCa("Latchkey test CA", caKey);
        using var otherKey = RSA.Create(2048);
        using var other = NewCa("Some other CA", otherKey);
        using var serverKey = RSA.Create(2048);
        using var server = Issue(ca, "127.0.0.1", serverKey, "1.3.6.1.5.5.7.3.1", san: true);
        using var clientKey = RSA.Create(2048);
        using var client = Issue(ca, "root", clientKey, "1.3.6.1.5.5.7.3.2", san: false);

        string Write(string name, string pem)
        {
            var path = Path.Combine(_dir.FullName, name);
            File.WriteAllText(path, pem);
            return path;
        }

        return (
            Write("ca.pem", ca.ExportCertificatePem()),
            Write("other-ca.pem", other.ExportCertificatePem()),
            Write("server.pem", server.ExportCertificatePem()),
            Write("server-key.pem", serverKey.ExportPkcs8PrivateKeyPem()),
            Write("client.pem", client.ExportCertificatePem()),
            Write("client-key.pem", clientKey.ExportPkcs8PrivateKeyPem()));
    }

    private static X509Certificate2 NewCa(string name, RSA key)
    {
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string name, RSA key, string usage, bool san)
    {
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        if (san)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = new byte[12];
        RandomNumberGenerator.Fill(serial);
        return request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), serial);
    }
}
