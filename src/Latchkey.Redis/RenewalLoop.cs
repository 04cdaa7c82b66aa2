using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Latchkey.Redis;

/// <summary>
/// The provider's single renewal loop. Every held lease is renewed every TTL/3; the renewals that fall due
/// together are sent together (pipelined on the one connection). A lease whose renewal is not confirmed by
/// TTL minus <see cref="SafetyMargin"/> after the last confirmed request was sent is lost: the loop fires it
/// at that deadline even while the renewal request is still unanswered.
/// </summary>
internal sealed class RenewalLoop : IAsyncDisposable
{
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Entry, byte> _entries = new();
    private readonly Pulse _changed = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _startGate = new();
    private Task? _loop;

    public RenewalLoop(TimeProvider time, ILogger logger)
    {
        _time = time;
        _logger = logger;
    }

    /// <summary>Test hook: while true, no renewal is sent (deadlines still fire), as if the process were paused or cut off.</summary>
    internal bool Paused { get; set; }

    /// <summary>Margin kept below the TTL for clock-rate drift between client and server and for timer lateness.</summary>
    public static TimeSpan SafetyMargin(TimeSpan ttl) =>
        TimeSpan.FromMilliseconds(Math.Min((ttl.TotalMilliseconds * 0.02) + 20, ttl.TotalMilliseconds / 4));

    /// <summary>Starts keeping <paramref name="target"/> alive; <paramref name="confirmedAt"/> is when the request that granted it was sent.</summary>
    public object Add(IRenewable target, long confirmedAt)
    {
        var entry = new Entry(target);
        Confirm(entry, confirmedAt);
        _entries.TryAdd(entry, 0);
        lock (_startGate)
        {
            if (_loop is null && !_stop.IsCancellationRequested)
            {
                _loop = Task.Run(RunAsync);
            }
        }

        _changed.Fire();
        return entry;
    }

    public void Remove(object entry) => _entries.TryRemove((Entry)entry, out _);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        Task? loop;
        lock (_startGate)
        {
            loop = _loop;
        }

        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private void Confirm(Entry entry, long sentAt)
    {
        var ttl = entry.Target.Ttl;
        entry.DueAt = sentAt + ToTicks(ttl / 3);
        entry.LossAt = entry.Target.CanBeLost ? sentAt + ToTicks(ttl - SafetyMargin(ttl)) : long.MaxValue;
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var changed = _changed.Next;
            var now = _time.GetTimestamp();
            var wake = long.MaxValue;
            foreach (var entry in _entries.Keys)
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

            using var delay = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var wait = wake == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds((double)(wake - now) / _time.TimestampFrequency);
            await Task.WhenAny(changed, Task.Delay(wait, _time, delay.Token)).ConfigureAwait(false);
            await delay.CancelAsync().ConfigureAwait(false);
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
            _changed.Fire();
        }
    }

    private sealed class Entry(IRenewable target)
    {
        public int InFlight;

        public IRenewable Target { get; } = target;

        public long DueAt { get; set; }

        public long LossAt { get; set; }
    }
}
