using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Latchkey.ZooKeeper.Client;

namespace Latchkey.ZooKeeper.Tests;

/// <summary>
/// TLS to a ZooKeeper <c>secureClientPort</c>: $LATCHKEY_ZK_TLS (<c>zks://host:port</c>) with the CA that signed
/// its certificate in $LATCHKEY_ZK_TLS_CA (scripts/test-servers.sh makes both). Skipped when unset, failed when CI=true.
/// </summary>
public sealed class ZooKeeperTlsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RightCa_AcquiresAndReleases_AndLeavesNothing()
    {
        await using var locks = LockProvider.Connect($"{Server()}?ca={Ca()}");
        var name = "tls-" + Guid.NewGuid().ToString("N");
        await using (var held = await locks.CreateLock(name).AcquireAsync(cancellationToken: Ct))
        {
            Assert.True(held.FencingToken > 0);
            Assert.Null(await locks.CreateLock(name).TryAcquireAsync(cancellationToken: Ct));
        }

        Assert.Empty((await locks.GetStatusAsync(LockKind.Lock, name, Ct)).Holders);
    }

    [Fact]
    public async Task TlsTrueOnZk_IsTheSameAsZks()
    {
        await using var locks = LockProvider.Connect($"zk://{Server()["zks://".Length..]}?tls=true&ca={Ca()}");
        await using var held = await locks.CreateLock("tls-" + Guid.NewGuid().ToString("N")).AcquireAsync(cancellationToken: Ct);
    }

    [Fact]
    public async Task WrongCa_FailsAtOnce_NamingTlsAndTheCa()
    {
        var wrongCa = WriteThrowawayCa();
        try
        {
            await using var locks = LockProvider.Connect($"{Server()}?ca={wrongCa}&connectTimeout=60s");
            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<LockBackendUnavailableException>(async () => await locks.CreateLock("tls-wrong-ca").AcquireAsync(cancellationToken: Ct));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"A refused certificate must fail at once, not at the connect timeout; took {clock.Elapsed}.");
            Assert.Contains("TLS handshake", error.Message, StringComparison.Ordinal);
            Assert.Contains("does not chain to the CA given in ca=", error.Message, StringComparison.Ordinal);
            Assert.Null(((ZooKeeperLockBackend)((LockProvider)locks).Backend).CurrentClient);
        }
        finally
        {
            File.Delete(wrongCa);
        }
    }

    [Fact]
    public async Task ServerNameTheCertificateIsNotFor_IsRefused()
    {
        await using var locks = LockProvider.Connect($"{Server()}?ca={Ca()}&serverName=elsewhere.example&connectTimeout=60s");
        var error = await Assert.ThrowsAsync<LockBackendUnavailableException>(async () => await locks.CreateLock("tls-wrong-name").AcquireAsync(cancellationToken: Ct));
        Assert.Contains("is not issued for 'elsewhere.example'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TlsToAPlainPort_FailsWithinTheConnectTimeout_NamingTls()
    {
        var plain = ZooKeeperServer.HostList().Split(',')[0];
        _ = Server();
        await using var locks = LockProvider.Connect($"zks://{plain}?ca={Ca()}&connectTimeout=2s");
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<LockBackendUnavailableException>(async () => await locks.CreateLock("tls-plain").AcquireAsync(cancellationToken: Ct));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
        Assert.Contains("TLS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionDrop_ReconnectsOverTls_AndKeepsTheLock()
    {
        await using var locks = LockProvider.Connect($"{Server()}?ca={Ca()}");
        var name = "tls-" + Guid.NewGuid().ToString("N");
        var held = await locks.CreateLock(name).AcquireAsync(cancellationToken: Ct);
        var client = ((ZooKeeperLockBackend)((LockProvider)locks).Backend).CurrentClient!;
        var sessionId = client.SessionId;

        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += (_, state) =>
        {
            if (state == ZooKeeperSessionState.Connected)
            {
                reconnected.TrySetResult();
            }
        };
        client.DropConnection();
        await reconnected.Task.WaitAsync(Patience, Ct);
        Assert.Equal(sessionId, client.SessionId);
        Assert.False(held.Lost.IsCancellationRequested);
        Assert.Null(await locks.CreateLock(name).TryAcquireAsync(cancellationToken: Ct));
        await held.ReleaseAsync();
    }

    [Fact]
    public async Task FailOver_ToAnotherMember_ShakesHandsAgain_AndKeepsTheLock()
    {
        // Two routes to the one TLS server stand for two members: cutting the one in use makes the client fail over.
        var upstream = Conformance.LoopbackProxy.ParseHostPort(Server()["zks://".Length..]);
        await using var first = new Conformance.LoopbackProxy(upstream);
        await using var second = new Conformance.LoopbackProxy(upstream);
        await using var locks = LockProvider.Connect($"zks://{first.Address},{second.Address}?ca={Ca()}&sessionTimeout=10s");
        var name = "tls-" + Guid.NewGuid().ToString("N");
        var held = await locks.CreateLock(name).AcquireAsync(cancellationToken: Ct);
        var client = ((ZooKeeperLockBackend)((LockProvider)locks).Backend).CurrentClient!;
        var before = client.ConnectedServer;
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        client.StateChanged += (_, state) =>
        {
            seen.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {state} {client.ConnectedServer}");
            if (state == ZooKeeperSessionState.Connected)
            {
                reconnected.TrySetResult();
            }
        };

        seen.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} cut {before} (first {first.Address}, second {second.Address})");
        (before == first.Address ? first : second).Blackhole();
        try
        {
            await reconnected.Task.WaitAsync(Patience, Ct);
        }
        catch (TimeoutException)
        {
            Assert.Fail(string.Join(" | ", seen) + $" | lost={held.Lost.IsCancellationRequested}");
        }
        Assert.NotEqual(before, client.ConnectedServer);
        Assert.False(held.Lost.IsCancellationRequested);
        Assert.Null(await locks.CreateLock(name).TryAcquireAsync(cancellationToken: Ct));
        await held.ReleaseAsync();
    }

    [Fact]
    public async Task ClientCertificate_IsPresented_AndIsTheSessionsIdentity()
    {
        var server = Server();
        var files = (Environment.GetEnvironmentVariable("LATCHKEY_ZK_TLS_CLIENT") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(files.Length == 2, "LATCHKEY_ZK_TLS_CLIENT must hold the client certificate's and key's PEM files.");
        var options = ZooKeeperClientOptions.Parse(server["zks://".Length..]);
        var path = "/latchkey-tls-" + Guid.NewGuid().ToString("N");

        // CREATOR_ALL_ACL needs an authenticated identity: the server's x509 provider makes one from the certificate.
        await using (var anonymous = await ZooKeeperClient.ConnectAsync(options with { Tls = ZooKeeperTls.Load(Ca(), null, null, null) }, Ct))
        {
            var refused = await Assert.ThrowsAsync<ZooKeeperException>(() => anonymous.CreateAsync(path, default, CreateMode.Ephemeral, ZooKeeperAcl.CreatorAll, Ct));
            Assert.Equal(ZooKeeperErrorCode.InvalidAcl, refused.Code);
        }

        await using var identified = await ZooKeeperClient.ConnectAsync(options with { Tls = ZooKeeperTls.Load(Ca(), files[0], files[1], null) }, Ct);
        await identified.CreateAsync(path, default, CreateMode.Ephemeral, ZooKeeperAcl.CreatorAll, Ct);
        await identified.DeleteAsync(path, cancellationToken: Ct);
    }

    [Theory]
    [InlineData("zk://h:1?ca=/tmp/ca.pem")]
    [InlineData("zks://h:1?tls=false")]
    [InlineData("zks://h:1?cert=/tmp/c.pem")]
    [InlineData("zks://h:1?ca=/nonexistent/ca.pem")]
    public void Tls_BadOptions_AreFormatErrors(string text) =>
        Assert.Throws<FormatException>(() => LockProvider.Connect(text));

    private static string Server()
    {
        var value = Environment.GetEnvironmentVariable("LATCHKEY_ZK_TLS");
        if (string.IsNullOrEmpty(value))
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail("LATCHKEY_ZK_TLS is not set (CI=true requires the server).");
            }

            Assert.Skip("LATCHKEY_ZK_TLS is not set.");
        }

        return value;
    }

    private static string Ca() => Environment.GetEnvironmentVariable("LATCHKEY_ZK_TLS_CA") ?? throw new InvalidOperationException("LATCHKEY_ZK_TLS_CA is not set.");

    private static string WriteThrowawayCa()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Not the ZooKeeper CA", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(Path.GetTempPath(), $"latchkey-wrong-ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, ca.ExportCertificatePem());
        return path;
    }
}
