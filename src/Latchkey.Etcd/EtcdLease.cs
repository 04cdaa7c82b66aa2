using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Latchkey.Backend;
using Microsoft.Extensions.Logging;

namespace Latchkey.Etcd;

/// <summary>
/// One etcd lease, shared by every key the provider writes while it lives. It counts as lost when etcd
/// says so (a keep-alive answered with TTL 0) or when the core's <see cref="LeaseClock"/> says it may have
/// expired on the server; one timer per lease watches that deadline.
/// </summary>
[SuppressMessage("Reliability", "CA2213:Disposable fields should be disposed", Justification = "The token outlives us: holders keep it.")]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "A cancellation source without a timer holds nothing to free; its token is handed out and must stay valid.")]
internal sealed class EtcdLease
{
    private readonly CancellationTokenSource _lost = new();
    private readonly LeaseClock _clock;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _watchdog;
    private string? _lostReason;

    public EtcdLease(long id, TimeSpan ttl, long grantSentAt, TimeProvider time, ILogger logger)
    {
        Id = id;
        IdHex = id.ToString("x", CultureInfo.InvariantCulture);
        _clock = new LeaseClock(ttl, grantSentAt, time);
        _time = time;
        _logger = logger;
        _watchdog = time.CreateTimer(static s => ((EtcdLease)s!).CheckExpiry(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Reschedule();
    }

    public long Id { get; }

    public string IdHex { get; }

    public TimeSpan Ttl => _clock.Ttl;

    /// <summary>Cancelled once, when the lease is lost; every holder's <c>Lost</c> hangs off it.</summary>
    public CancellationToken LostToken => _lost.Token;

    public bool IsLost => Volatile.Read(ref _lostReason) is not null;

    public string LostReason => Volatile.Read(ref _lostReason) ?? string.Empty;

    /// <summary>When the newest confirmed keep-alive (or the grant) was sent, a <see cref="TimeProvider"/> timestamp.</summary>
    public long ConfirmedAt => _clock.ConfirmedSentAt;

    /// <summary>A keep-alive sent at <paramref name="sentAt"/> (a <see cref="TimeProvider"/> timestamp) was answered: the lease lives at least TTL from then.</summary>
    public void Confirm(long sentAt)
    {
        if (_clock.Confirm(sentAt))
        {
            Reschedule();
        }
    }

    /// <summary>Whether the lease is lost or past its confirmed deadline, read on the clock now (no timer needs to have run); past it, it is marked lost on the spot.</summary>
    public bool CheckExpired()
    {
        if (IsLost)
        {
            return true;
        }

        if (!_clock.IsExpired)
        {
            return false;
        }

        CheckExpiry();
        return true;
    }

    public void MarkLost(string reason)
    {
        if (Interlocked.CompareExchange(ref _lostReason, reason, null) is not null)
        {
            return;
        }

        _logger.LogWarning("etcd lease {Lease} lost: {Reason}", IdHex, reason);
        _watchdog.Dispose();

        // Holders' callbacks run on the thread pool, not on the keep-alive reader or the timer.
        _ = _lost.CancelAsync();
    }

    private void CheckExpiry()
    {
        if (_clock.IsExpired)
        {
            var elapsed = _time.GetElapsedTime(_clock.ConfirmedSentAt);
            MarkLost(string.Create(CultureInfo.InvariantCulture, $"no keep-alive confirmed for {elapsed.TotalSeconds:0.0}s of its {Ttl.TotalSeconds:0}s TTL"));
        }
        else
        {
            Reschedule();
        }
    }

    private void Reschedule()
    {
        if (IsLost)
        {
            return;
        }

        try
        {
            _watchdog.Change(_clock.DueTime(), Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Lost meanwhile.
        }
    }
}
