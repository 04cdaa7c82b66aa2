using Latchkey.Backend;
using Microsoft.Extensions.Time.Testing;

namespace Latchkey.Tests;

/// <summary>The one rule for when a leased lock stops being guaranteed, on a fake clock.</summary>
public sealed class LeaseClockTests
{
    [Theory]
    [InlineData(400, 100)]      // a quarter of a short TTL
    [InlineData(2_000, 200)]    // 100 ms + 5 %
    [InlineData(10_000, 600)]
    [InlineData(30_000, 1_600)]
    public void Margin_IsAFixed100msPlusATwentieth_NeverMoreThanAQuarter(int ttlMs, int marginMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(marginMs), LeaseClock.Margin(TimeSpan.FromMilliseconds(ttlMs)));

    [Fact]
    public void ALease_IsGuaranteedFromTheSendOfItsGrant_UntilTtlLessTheMargin()
    {
        var time = new FakeTimeProvider();
        var sentAt = time.GetTimestamp();
        time.Advance(TimeSpan.FromSeconds(1)); // the answer came a second after the request was sent
        var clock = new LeaseClock(TimeSpan.FromSeconds(10), sentAt, time);
        Assert.Equal(TimeSpan.FromMilliseconds(8_400), clock.Remaining);

        time.Advance(TimeSpan.FromMilliseconds(8_399));
        Assert.False(clock.IsExpired);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(clock.IsExpired);
        Assert.Equal(TimeSpan.Zero, clock.DueTime());
    }

    [Fact]
    public void AConfirmation_ExtendsFromItsSendTime_AndAnOlderOneArrivingLateChangesNothing()
    {
        var time = new FakeTimeProvider();
        var clock = new LeaseClock(TimeSpan.FromSeconds(10), time.GetTimestamp(), time);
        time.Advance(TimeSpan.FromSeconds(3));
        var older = time.GetTimestamp();
        time.Advance(TimeSpan.FromSeconds(2));
        var newer = time.GetTimestamp();
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(clock.Confirm(newer));
        Assert.False(clock.Confirm(older));
        Assert.Equal(newer, clock.ConfirmedSentAt);
        Assert.Equal(TimeSpan.FromMilliseconds(9_400 - 1_000), clock.Remaining);
    }

    [Fact]
    public void ANewTtl_AppliesToTheDeadline_AndANonPositiveOneIsRefused()
    {
        var time = new FakeTimeProvider();
        var clock = new LeaseClock(TimeSpan.FromSeconds(10), time.GetTimestamp(), time);
        clock.Ttl = TimeSpan.FromSeconds(2);
        Assert.Equal(TimeSpan.FromMilliseconds(1_800), clock.Remaining);
        Assert.Throws<ArgumentOutOfRangeException>(() => clock.Ttl = TimeSpan.Zero);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LeaseClock(TimeSpan.Zero, 0, time));
    }
}
