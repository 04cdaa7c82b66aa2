using Latchkey.Conformance;

namespace Latchkey.ZooKeeper.Tests;

/// <summary>The backend over a link that delays every byte (issue 17, defect 1).</summary>
public sealed class SlowLinkTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Acquire_WhenTheHandshakeIsAnsweredAfterTheSessionCouldExpire_ThrowsBackendUnavailable()
    {
        // The shortest session the server grants (1 s on the test servers) is guaranteed for its timeout less the
        // lease margin after the connect request was sent; through a link that holds each byte for 0.6 of the
        // timeout each way, the answer comes after 1.2 timeouts, when the server may have expired the session.
        TimeSpan timeout;
        await using (var probe = await ZooKeeperServer.ConnectAsync(sessionTimeout: TimeSpan.FromSeconds(1)))
        {
            timeout = probe.SessionTimeout;
        }

        await using var proxy = new LoopbackProxy(LoopbackProxy.ParseHostPort(ZooKeeperServer.HostList()), timeout * 0.6);
        var connectTimeout = (timeout * 3).TotalMilliseconds;
        await using var provider = LockProvider.Connect($"zk://{proxy.Address}?sessionTimeout=1s&connectTimeout={connectTimeout:F0}ms");

        var error = await Assert.ThrowsAsync<LockBackendUnavailableException>(() => provider.CreateLock("zk-slow-handshake").AcquireAsync(cancellationToken: Ct).AsTask());
        Assert.Contains("handshake", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Acquire_OverALinkSlowerThanUsualButWithinTheSession_Works()
    {
        await using var proxy = new LoopbackProxy(LoopbackProxy.ParseHostPort(ZooKeeperServer.HostList()), TimeSpan.FromMilliseconds(100));
        await using var provider = LockProvider.Connect($"zk://{proxy.Address}?sessionTimeout=4s&connectTimeout=3s");

        await using var held = await provider.CreateLock("zk-slow-link-" + Guid.NewGuid().ToString("N")).AcquireAsync(cancellationToken: Ct);
        Assert.False(held.Lost.IsCancellationRequested);
    }
}
