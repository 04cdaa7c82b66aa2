using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Latchkey.Etcd;

/// <summary>
/// One etcd lease, shared by every key the provider writes while it lives. It counts as lost when etcd
/// says so (a keep-alive answered with TTL 0) or when no renewal has been confirmed for TTL minus a margin
/// since the send time of the last confirmed one: from then on the lease may have expired on the server.
/// </summary>
[SuppressMessage("Reliability", "CA2213:Disposable fields should be disposed", Justification = "The token outlives us: holders keep it.")]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "A cancellation source without a timer holds nothing to free; its token is handed out and must stay valid.")]
internal sealed class EtcdSession
{
    private readonly CancellationTokenSource _lost = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _deadline;
    private readonly ITimer _watchdog;
    private long _confirmedAt;
    private string? _lostReason;

    public EtcdSession(long id, TimeSpan ttl, TimeSpan margin, long grantSentAt, TimeProvider time, ILogger logger)
    {
        Id = id;
        Ttl = ttl;
        IdHex = id.ToString("x", CultureInfo.InvariantCulture);
        _time = time;
        _logger = logger;
        _deadline = ttl - margin;
        _confirmedAt = grantSentAt;
        _watchdog = time.CreateTimer(static s => ((EtcdSession)s!).CheckExpiry(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Reschedule();
    }

    public long Id { get; }

    public string IdHex { get; }

    public TimeSpan Ttl { get; }

    /// <summary>The numbers of this lease's keys in use, per name.</summary>
    public EtcdKeySlots Slots { get; } = new();

    /// <summary>Cancelled once, when the lease is lost; every holder's <c>Lost</c> hangs off it.</summary>
    public CancellationToken LostToken => _lost.Token;

    public bool IsLost => Volatile.Read(ref _lostReason) is not null;

    public string LostReason => Volatile.Read(ref _lostReason) ?? string.Empty;

    /// <summary>When the newest confirmed keep-alive (or the grant) was sent, a <see cref="TimeProvider"/> timestamp.</summary>
    public long ConfirmedAt => Volatile.Read(ref _confirmedAt);

    /// <summary>A keep-alive sent at <paramref name="sentAt"/> (a <see cref="TimeProvider"/> timestamp) was answered: the lease lives at least TTL from then.</summary>
    public void Confirm(long sentAt)
    {
        long seen;
        do
        {
            seen = Volatile.Read(ref _confirmedAt);
            if (sentAt <= seen)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _confirmedAt, sentAt, seen) != seen);

        Reschedule();
    }

    public void MarkLost(string reason)
    {
        if (Interlocked.CompareExchange(ref _lostReason, reason, null) is not null)
        {
            return;
        }

        _logger.LogWarning("etcd lease {Lease} lost: {Reason}", IdHex, reason);
        _watchdog.Dispose();
        Slots.CancelWatches();

        // Holders' callbacks run on the thread pool, not on the keep-alive reader or the timer.
        _ = _lost.CancelAsync();
    }

    private void CheckExpiry()
    {
        var elapsed = _time.GetElapsedTime(Volatile.Read(ref _confirmedAt));
        if (elapsed >= _deadline)
        {
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

        var due = _deadline - _time.GetElapsedTime(Volatile.Read(ref _confirmedAt));
        try
        {
            _watchdog.Change(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Lost meanwhile.
        }
    }
}
