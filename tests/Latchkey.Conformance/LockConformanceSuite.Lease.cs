using Xunit;

namespace Latchkey.Conformance;

/// <summary>Leases: what a holder learns, and when, once its lease can no longer be guaranteed.</summary>
public abstract partial class LockConformanceSuite
{
    [Fact]
    public async Task AHolderWhoseClockPassedItsLease_IsNotHeld_AtOnce_AndLostFires()
    {
        Assert.SkipUnless(Provider.Capabilities.Leases, "This backend has no leases.");
        var clock = new JumpingClock();
        var provider = await CreateProviderAsync(new LockProviderOptions { TimeProvider = clock });
        try
        {
            var held = await provider.CreateLock(UniqueName("jump")).AcquireAsync(Patience, TestCancellation);
            Assert.True(held.IsHeld);
            held.ThrowIfNotHeld();

            // As a process that wakes from a pause sees it: the monotonic clock is past the lease, and no timer has
            // run yet (the jump moves only the timestamps; timers still fire in real time, seconds from now).
            clock.Jump(TimeSpan.FromHours(1));
            Assert.False(held.IsHeld, "The lease's deadline is an hour past, yet the handle says it holds the lock.");
            Assert.Throws<LockLostException>(held.ThrowIfNotHeld);
            await Within(Task.Delay(Timeout.InfiniteTimeSpan, held.Lost).ContinueWith(_ => { }, TaskScheduler.Default), "Lost to fire");
            await held.DisposeAsync();
        }
        finally
        {
            await provider.DisposeAsync();
        }
    }

    [Fact]
    public async Task AReleasedHandle_IsNotHeld()
    {
        var held = await Provider.CreateLock(UniqueName("released")).AcquireAsync(Patience, TestCancellation);
        Assert.True(held.IsHeld);
        await held.ReleaseAsync();
        Assert.False(held.IsHeld);
        Assert.Throws<LockLostException>(held.ThrowIfNotHeld);
    }

    /// <summary>The system clock, whose timestamps the test can move ahead without any timer firing early.</summary>
    private sealed class JumpingClock : TimeProvider
    {
        private long _offset;

        public void Jump(TimeSpan by) => Interlocked.Add(ref _offset, (long)(by.TotalSeconds * TimestampFrequency));

        public override long GetTimestamp() => System.GetTimestamp() + Interlocked.Read(ref _offset);

        public override long TimestampFrequency => System.TimestampFrequency;
    }
}
