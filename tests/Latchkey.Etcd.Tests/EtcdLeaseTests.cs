using Latchkey.Backend;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Latchkey.Etcd.Tests;

/// <summary>Loss detection of the provider's lease, on a fake clock: no server, no sleeping.</summary>
public sealed class EtcdLeaseTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Margin = LeaseClock.Margin(Ttl);

    [Fact]
    public void Lease_WithoutConfirmedRenewal_IsLostAtTtlMinusMargin()
    {
        var time = new FakeTimeProvider();
        var lease = new EtcdLease(0x2a, Ttl, time.GetTimestamp(), time, NullLogger.Instance);

        time.Advance(Ttl - Margin - TimeSpan.FromMilliseconds(1));
        Assert.False(lease.IsLost);
        Assert.False(lease.LostToken.IsCancellationRequested);

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(lease.IsLost);
        Assert.Contains("no keep-alive confirmed", lease.LostReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Confirm_MovesTheDeadlineToTtlMinusMarginAfterTheRenewalWasSent()
    {
        var time = new FakeTimeProvider();
        var lease = new EtcdLease(0x2a, Ttl, time.GetTimestamp(), time, NullLogger.Instance);
        time.Advance(TimeSpan.FromSeconds(4));
        var sentAt = time.GetTimestamp();
        time.Advance(TimeSpan.FromSeconds(3)); // the reply took 3 s: the lease is only sure from the send
        lease.Confirm(sentAt);

        time.Advance(Ttl - Margin - TimeSpan.FromSeconds(3) - TimeSpan.FromMilliseconds(1));
        Assert.False(lease.IsLost);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(lease.IsLost);
    }

    [Fact]
    public void Confirm_OfAnOlderRenewal_DoesNotMoveTheDeadlineBack()
    {
        var time = new FakeTimeProvider();
        var start = time.GetTimestamp();
        var lease = new EtcdLease(0x2a, Ttl, start, time, NullLogger.Instance);
        time.Advance(TimeSpan.FromSeconds(5));
        lease.Confirm(time.GetTimestamp());
        lease.Confirm(start); // a late reply to an earlier keep-alive

        time.Advance(Ttl - Margin - TimeSpan.FromMilliseconds(1));
        Assert.False(lease.IsLost);
    }

    [Fact]
    public async Task MarkLost_CancelsTheTokenOnce_KeepingTheFirstReason()
    {
        var time = new FakeTimeProvider();
        var lease = new EtcdLease(0x2a, Ttl, time.GetTimestamp(), time, NullLogger.Instance);
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lease.LostToken.Register(() => fired.TrySetResult());

        lease.MarkLost("revoked");
        lease.MarkLost("later");

        Assert.True(lease.IsLost);
        Assert.Equal("revoked", lease.LostReason);
        await fired.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }
}
