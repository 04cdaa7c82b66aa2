namespace Latchkey.Backend;

/// <summary>
/// The one rule every leased backend follows to decide when a lock stops being guaranteed: a lease (an
/// etcd lease, a Redis key's TTL, a ZooKeeper session) that the server confirmed in answer to a request
/// <em>sent</em> at time S lives on the server until at least S + TTL, since the server cannot have
/// started its countdown before the request was sent. The client counts it as lost from
/// S + TTL − <see cref="Margin"/>, measured on the monotonic clock.
/// </summary>
/// <remarks>
/// Thread-safe: confirmations may arrive on any thread, in any order; the newest send time wins.
/// It keeps no timer; backends schedule their own check (one per provider, never one per lock) from
/// <see cref="Remaining"/>. See docs/guarantees.md for why the margin is what it is.
/// </remarks>
internal sealed class LeaseClock
{
    private static readonly TimeSpan FixedMargin = TimeSpan.FromMilliseconds(100);
    private readonly TimeProvider _time;
    private long _ttlTicks;
    private long _confirmedSentAt;

    /// <summary>Starts the clock from a lease granted in answer to a request sent at <paramref name="grantSentAt"/> (a <see cref="TimeProvider"/> timestamp).</summary>
    public LeaseClock(TimeSpan ttl, long grantSentAt, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(time);
        _ttlTicks = ttl.Ticks;
        _confirmedSentAt = grantSentAt;
        _time = time;
    }

    /// <summary>
    /// What is kept below the TTL: a twentieth of it for clock-rate drift between client and server (NTP
    /// keeps it far lower) and the server's own expiry granularity, plus 100 ms for the lateness of whatever
    /// acts on the deadline (a timer on a busy machine, a short GC pause); never more than a quarter of the
    /// TTL, so a short TTL stays usable.
    /// </summary>
    public static TimeSpan Margin(TimeSpan ttl) =>
        TimeSpan.FromTicks(Math.Min((ttl.Ticks / 20) + FixedMargin.Ticks, ttl.Ticks / 4));

    /// <summary>The lease's TTL; ZooKeeper's may change when a new session negotiates another.</summary>
    public TimeSpan Ttl
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _ttlTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            Volatile.Write(ref _ttlTicks, value.Ticks);
        }
    }

    /// <summary>When the newest confirmed request was sent, a <see cref="TimeProvider"/> timestamp.</summary>
    public long ConfirmedSentAt => Volatile.Read(ref _confirmedSentAt);

    /// <summary>How long the lease is still guaranteed: zero or less once it may have expired on the server.</summary>
    public TimeSpan Remaining => GuaranteedFor(Ttl) - _time.GetElapsedTime(ConfirmedSentAt);

    /// <summary>True once the lease may have expired on the server. Reads the clock: no timer needs to have run.</summary>
    public bool IsExpired => Remaining <= TimeSpan.Zero;

    /// <summary>
    /// A request sent at <paramref name="sentAt"/> was answered: the lease lives at least TTL from then.
    /// Returns false when a newer confirmation was already recorded.
    /// </summary>
    public bool Confirm(long sentAt)
    {
        long seen;
        do
        {
            seen = Volatile.Read(ref _confirmedSentAt);
            if (sentAt <= seen)
            {
                return false;
            }
        }
        while (Interlocked.CompareExchange(ref _confirmedSentAt, sentAt, seen) != seen);

        return true;
    }

    /// <summary>How long after a confirmed send a lease of <paramref name="ttl"/> is guaranteed.</summary>
    public static TimeSpan GuaranteedFor(TimeSpan ttl) => ttl - Margin(ttl);

    /// <summary>A due time for a timer that must fire when the lease may expire: never negative, as timers require.</summary>
    public TimeSpan DueTime()
    {
        var remaining = Remaining;
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }
}
