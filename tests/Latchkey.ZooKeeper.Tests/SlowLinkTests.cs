using Latchkey.Conformance;

namespace Latchkey.ZooKeeper.Tests;

/// <summary>The backend over a link that delays every byte (issue 17, defect 1).</summary>
public sealed class SlowLinkTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Acquire_WhenTheHandshakeIsAnsweredAfterTheSessionCouldExpire_ThrowsBackendUnavailable()
    {
        // A 1 s session (the test server's minimum) is guaranteed for 850 ms after the connect request was
        // sent; through 600 ms each way the answer comes after 1.2 s, when the server may have expired it.
        await using var proxy = new DelayingProxy(LoopbackProxy.ParseHostPort(ZooKeeperServer.HostList()), TimeSpan.FromMilliseconds(600));
        await using var provider = LockProvider.Connect($"zk://{proxy.Address}?sessionTimeout=1s&connectTimeout=3s");

        var error = await Assert.ThrowsAsync<LockBackendUnavailableException>(() => provider.CreateLock("zk-slow-handshake").AcquireAsync(cancellationToken: Ct).AsTask());
        Assert.Contains("handshake", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Acquire_OverALinkSlowerThanUsualButWithinTheSession_Works()
    {
        await using var proxy = new DelayingProxy(LoopbackProxy.ParseHostPort(ZooKeeperServer.HostList()), TimeSpan.FromMilliseconds(100));
        await using var provider = LockProvider.Connect($"zk://{proxy.Address}?sessionTimeout=4s&connectTimeout=3s");

        await using var held = await provider.CreateLock("zk-slow-link-" + Guid.NewGuid().ToString("N")).AcquireAsync(cancellationToken: Ct);
        Assert.False(held.Lost.IsCancellationRequested);
    }
}
