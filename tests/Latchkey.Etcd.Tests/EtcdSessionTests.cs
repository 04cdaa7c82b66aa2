using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Latchkey.Etcd.Tests;

/// <summary>Loss detection of the provider's lease, on a fake clock: no server, no sleeping.</summary>
public sealed class EtcdSessionTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(1);

    [Fact]
    public void Session_WithoutConfirmedRenewal_IsLostAtTtlMinusMargin()
    {
        var time = new FakeTimeProvider();
        var session = new EtcdSession(0x2a, Ttl, Margin, time.GetTimestamp(), time, NullLogger.Instance);

        time.Advance(Ttl - Margin - TimeSpan.FromMilliseconds(1));
        Assert.False(session.IsLost);
        Assert.False(session.LostToken.IsCancellationRequested);

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(session.IsLost);
        Assert.Contains("no keep-alive confirmed", session.LostReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Confirm_MovesTheDeadlineToTtlMinusMarginAfterTheRenewalWasSent()
    {
        var time = new FakeTimeProvider();
        var session = new EtcdSession(0x2a, Ttl, Margin, time.GetTimestamp(), time, NullLogger.Instance);
        time.Advance(TimeSpan.FromSeconds(4));
        var sentAt = time.GetTimestamp();
        time.Advance(TimeSpan.FromSeconds(3)); // the reply took 3 s: the lease is only sure from the send
        session.Confirm(sentAt);

        time.Advance(Ttl - Margin - TimeSpan.FromSeconds(3) - TimeSpan.FromMilliseconds(1));
        Assert.False(session.IsLost);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(session.IsLost);
    }

    [Fact]
    public void Confirm_OfAnOlderRenewal_DoesNotMoveTheDeadlineBack()
    {
        var time = new FakeTimeProvider();
        var start = time.GetTimestamp();
        var session = new EtcdSession(0x2a, Ttl, Margin, start, time, NullLogger.Instance);
        time.Advance(TimeSpan.FromSeconds(5));
        session.Confirm(time.GetTimestamp());
        session.Confirm(start); // a late reply to an earlier keep-alive

        time.Advance(Ttl - Margin - TimeSpan.FromMilliseconds(1));
        Assert.False(session.IsLost);
    }

    [Fact]
    public async Task MarkLost_CancelsTheTokenOnce_KeepingTheFirstReason()
    {
        var time = new FakeTimeProvider();
        var session = new EtcdSession(0x2a, Ttl, Margin, time.GetTimestamp(), time, NullLogger.Instance);
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        session.LostToken.Register(() => fired.TrySetResult());

        session.MarkLost("revoked");
        session.MarkLost("later");

        Assert.True(session.IsLost);
        Assert.Equal("revoked", session.LostReason);
        await fired.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }
}
