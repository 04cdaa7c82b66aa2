using System.Collections.Concurrent;
using Latchkey.Backend;
using Microsoft.Extensions.Logging;

namespace Latchkey.Redis;

/// <summary>
/// The provider's single renewal loop. Every held lease is renewed every TTL/3; the renewals that fall due
/// together are sent together (pipelined on the one connection). Each lease keeps the core's
/// <see cref="LeaseClock"/>: it is lost at the last confirmed send time + TTL − <see cref="LeaseClock.Margin"/>,
/// and the loop fires it at that deadline even while the renewal request is still unanswered.
/// </summary>
/// <remarks>
/// The loop runs on a thread of its own (one per provider, started with the first lease), not on the
/// thread pool: firing <c>Lost</c> on time must not depend on pool threads that the application may be
/// blocking. It only waits, fires and sends; the replies are handled on the pool.
/// </remarks>
internal sealed class RenewalLoop : IAsyncDisposable
{
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Entry, byte> _entries = new();
    private readonly AutoResetEvent _changed = new(false);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _startGate = new();
    private volatile bool _stop;
    private Thread? _thread;

    // When the loop will next look at the entries on its own (timestamp ticks): Scanning while it is looking,
    // long.MaxValue while it sleeps without a deadline. An entry due before that must wake it; any other need
    // not, which keeps the loop asleep through the acquire/release churn of a busy provider.
    private long _wakeAt = Scanning;
    private const long Scanning = long.MinValue;

    public RenewalLoop(TimeProvider time, ILogger logger)
    {
        _time = time;
        _logger = logger;
    }

    /// <summary>Test hook: while true, no renewal is sent (deadlines still fire), as if the process were paused or cut off.</summary>
    internal bool Paused { get; set; }

    /// <summary>
    /// Whether the lease of <paramref name="handle"/> (from <see cref="Add"/>) is past its deadline, read on the
    /// clock now (no turn of the loop needs to have run); past it, its Lost fires on the spot.
    /// </summary>
    public bool CheckExpired(object handle)
    {
        var entry = (Entry)handle;
        if (!entry.Target.CanBeLost || entry.LossAt > _time.GetTimestamp())
        {
            return false;
        }

        if (_entries.TryRemove(entry, out _))
        {
            _logger.LogWarning("Lease found past its deadline by a check (TTL {Ttl}); firing Lost.", entry.Target.Ttl);
            entry.Target.OnLost();
        }

        return true;
    }

    /// <summary>Starts keeping <paramref name="target"/> alive; <paramref name="confirmedAt"/> is when the request that granted it was sent.</summary>
    public object Add(IRenewable target, long confirmedAt)
    {
        var entry = new Entry(target, new LeaseClock(target.Ttl, confirmedAt, _time));
        Confirm(entry, confirmedAt);
        _entries.TryAdd(entry, 0);
        lock (_startGate)
        {
            if (_thread is null && !_stop)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "Latchkey.Redis renewal" };
                _thread.Start();
            }
        }

        SignalIfSooner(entry.DueAt);
        return entry;
    }

    public void Remove(object entry) => _entries.TryRemove((Entry)entry, out _);

    public async ValueTask DisposeAsync()
    {
        Thread? thread;
        lock (_startGate)
        {
            _stop = true;
            thread = _thread;
        }

        _changed.Set();
        if (thread is not null)
        {
            await _stopped.Task.ConfigureAwait(false);
        }

        _changed.Dispose();
    }

    private void Confirm(Entry entry, long sentAt)
    {
        var ttl = entry.Target.Ttl;
        entry.Clock.Confirm(sentAt);
        entry.DueAt = sentAt + ToTicks(ttl / 3);
        entry.LossAt = entry.Target.CanBeLost ? entry.Clock.ConfirmedSentAt + ToTicks(LeaseClock.GuaranteedFor(ttl)) : long.MaxValue;
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private void Run()
    {
        try
        {
            while (!_stop)
            {
                // A full fence: an Add that inserts after this either is seen by the scan below or sees
                // Scanning and signals.
                Interlocked.Exchange(ref _wakeAt, Scanning);
                var now = _time.GetTimestamp();
                var wake = long.MaxValue;
                // Enumerating the dictionary itself takes no lock (its Keys property would lock every bucket).
                foreach (var (entry, _) in _entries)
                {
                    if (entry.LossAt <= now)
                    {
                        if (_entries.TryRemove(entry, out _))
                        {
                            _logger.LogWarning("Lease not renewed in time (TTL {Ttl}); firing Lost.", entry.Target.Ttl);
                            entry.Target.OnLost();
                        }

                        continue;
                    }

                    wake = Math.Min(wake, entry.LossAt);
                    if (Volatile.Read(ref entry.InFlight) != 0)
                    {
                        continue;
                    }

                    if (entry.DueAt <= now && !Paused)
                    {
                        entry.InFlight = 1;
                        _ = RenewAsync(entry, now);
                    }
                    else if (!Paused)
                    {
                        wake = Math.Min(wake, entry.DueAt);
                    }
                }

                Interlocked.Exchange(ref _wakeAt, wake);
                var wait = wake == long.MaxValue ? Timeout.Infinite : (int)Math.Clamp(Math.Ceiling((wake - now) * 1000.0 / _time.TimestampFrequency), 0, int.MaxValue - 1);
                _changed.WaitOne(wait);
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private async Task RenewAsync(Entry entry, long sentAt)
    {
        try
        {
            var outcome = await entry.Target.RenewAsync().ConfigureAwait(false);
            switch (outcome)
            {
                case RenewOutcome.Confirmed:
                    Confirm(entry, sentAt);
                    break;
                case RenewOutcome.Gone:
                    if (_entries.TryRemove(entry, out _))
                    {
                        _logger.LogWarning("Lease found gone on renewal; firing Lost.");
                        entry.Target.OnLost();
                    }

                    break;
                default:
                    entry.DueAt = _time.GetTimestamp() + ToTicks(entry.Target.Ttl / 12);
                    break;
            }
        }
#pragma warning disable CA1031 // The loop must survive any failure of one renewal; the deadline still fires Lost.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogDebug(ex, "Renewal failed; retrying.");
            entry.DueAt = _time.GetTimestamp() + ToTicks(entry.Target.Ttl / 12);
        }
        finally
        {
            Volatile.Write(ref entry.InFlight, 0);
            SignalIfSooner(Math.Min(entry.DueAt, entry.LossAt));
        }
    }

    private void SignalIfSooner(long deadline)
    {
        // The fence pairs with the loop's: the entry's insert or update is visible before _wakeAt is read.
        Interlocked.MemoryBarrier();
        var wakeAt = Volatile.Read(ref _wakeAt);
        if (wakeAt == Scanning || deadline < wakeAt)
        {
            SignalChanged();
        }
    }

    private void SignalChanged()
    {
        try
        {
            _changed.Set();
        }
        catch (ObjectDisposedException)
        {
            // A renewal that finished after the loop stopped: nothing to wake.
        }
    }

    private sealed class Entry(IRenewable target, LeaseClock clock)
    {
        public int InFlight;

        public IRenewable Target { get; } = target;

        /// <summary>When the lease stops being guaranteed; the loop's <see cref="LossAt"/> is read from it.</summary>
        public LeaseClock Clock { get; } = clock;

        public long DueAt { get; set; }

        public long LossAt { get; set; }
    }
}
