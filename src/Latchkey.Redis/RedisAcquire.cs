using Latchkey.Backend;
using Latchkey.Redis.Protocol;
using StackExchange.Redis;

namespace Latchkey.Redis;

/// <summary>
/// One acquire, top to bottom. An attempt is one script on the server, which decides at once: held, or not yet
/// (<c>acquire.lua</c>; <c>lock.lua</c> for a lock, fair or not; on Redlock, the same on a majority, see <see cref="Redlock"/>).
/// A waiter listens on the lock's channel (fair: for a wake-up addressed to it), tries again on each message, and
/// falls back to a retry when the holder's lease would run out, so a lost message costs at most a TTL: no polling.
/// </summary>
internal sealed class RedisAcquire
{
    private readonly RedisLockContext _context;
    private readonly LockKeys _keys;
    private readonly RedisLockMode _mode;
    private readonly string _ownerId;
    private readonly bool _fair;
    private readonly string _member;
    private readonly TimeSpan _ttl;
    private readonly int _permits;
    private readonly string? _value;
    private readonly bool _plainLock;

    public RedisAcquire(RedisLockContext context, LockRequest request)
    {
        var single = context.Masters.Count == 1;
        _context = context;
        _keys = new LockKeys(context.Settings.Prefix, request.Kind, request.EscapedName);
        _mode = request.Kind switch
        {
            LockKind.Semaphore => single ? RedisLockMode.Semaphore : RedisLockMode.RedlockSlot,
            LockKind.ReaderWriter => request.Access == LockAccess.Shared ? RedisLockMode.Reader : RedisLockMode.Writer,
            _ => RedisLockMode.Exclusive,
        };
        _ownerId = context.NewOwnerId();
        _fair = single && (request.Options.Fair ?? context.Settings.Fair);
        _member = _fair ? $"{context.ProviderId}|{_ownerId}|{ScriptMode.Of(_mode)}" : string.Empty;
        _ttl = TimeSpan.FromMilliseconds((long)request.Options.Ttl.TotalMilliseconds);
        _permits = request.Permits;
        _value = request.Value;
        _plainLock = request.Kind == LockKind.Lock && single;
    }

    /// <summary>A fair waiter's queue place and a waiting writer's intent stay on the server (a <see cref="RedisWaiterPlace"/>).</summary>
    private bool LeavesPlace => _fair || _mode == RedisLockMode.Writer;

    public async ValueTask<LockAcquisition?> RunAsync(bool wait, CancellationToken cancellationToken)
    {
        if (!wait)
        {
            return (await AttemptAsync(wait: false).ConfigureAwait(false)).Acquisition;
        }

        // Uncontended, the first attempt is the only round trip, so make it before setting up any waiting. On a
        // lock that was busy lately the channel is still subscribed: then go straight to the waiting below, which
        // listens at no cost first. A fair waiter is registered for wake-ups before the attempt that queues it: at
        // no cost once the provider's wake channel is subscribed; before that, its first attempt does not queue.
        // (A writer's intent must be withdrawn on failure: a barging writer takes the waiting path from the start.)
        if (_fair && _context.Listeners.WakeChannelReady)
        {
            return await FairFirstAsync(cancellationToken).ConfigureAwait(false);
        }

        var triedOnce = false;
        if (_fair || (!LeavesPlace && !_context.Listeners.AllListening(_keys.ChannelName)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if ((await AttemptAsync(wait: !_fair).ConfigureAwait(false)).Acquisition is { } first)
            {
                return first;
            }

            triedOnce = true;
        }

        return await WaitAsync(triedOnce, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A fair acquire once the provider's wake channel is subscribed: registered for wake-ups (locally, no round trip),
    /// then one attempt that takes the lock or queues us, before any of the waiting is set up, so that an uncontended
    /// fair acquire costs no more than a barging one.
    /// </summary>
    private async Task<LockAcquisition> FairFirstAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var pulse = new Pulse();
        _context.Listeners.RegisterFairWaiter(_member, pulse);
        var next = pulse.Next;
        Attempt first;
        try
        {
            first = await AttemptAsync(wait: true).ConfigureAwait(false);
        }
        catch (LockBackendUnavailableException)
        {
            _context.Listeners.RemoveFairWaiter(_member);
            await new RedisWaiterPlace(_context, _keys, _member, _ownerId, _ttl, _fair, pulse).WithdrawAsync(null).ConfigureAwait(false);
            throw;
        }

        if (first.Acquisition is { } acquired)
        {
            _context.Listeners.RemoveFairWaiter(_member);
            return acquired;
        }

        return await WaitAsync(true, new Waiting(pulse, next, first), cancellationToken).ConfigureAwait(false);
    }

    /// <param name="triedOnce">The first attempt was made (barging: before subscribing; fair: without queueing).</param>
    /// <param name="started">A fair waiter registered for wake-ups, and its first attempt, which queued it.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    private async Task<LockAcquisition> WaitAsync(bool triedOnce, Waiting? started, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _context.Disposed.Token);
        var token = linked.Token;
        var pulse = started?.Pulse ?? new Pulse();
        var listeners = new List<IDisposable>();
        var place = LeavesPlace ? new RedisWaiterPlace(_context, _keys, _member, _ownerId, _ttl, _fair, pulse) : null;
        object? placeEntry = null;
        try
        {
            if (started is not null)
            {
                // Registered, and queued by the first attempt.
            }
            else if (_fair)
            {
                // The provider's first fair waiter subscribes to its wake channel (a round trip, once), registered
                // before the attempt that queues it, so a wake-up right after that attempt is not lost.
                await _context.Listeners.AddFairWaiterAsync(_member, pulse).ConfigureAwait(false);
            }
            else
            {
                void OnMessage(RedisValue message)
                {
                    if (message == "r")
                    {
                        pulse.Fire();
                    }
                }

                // Only a waiter subscribes, and then tries again at once (the loop), which covers a release
                // between its first attempt and the subscription.
                if (triedOnce)
                {
                    await _context.Listeners.ListenAsync(_keys.Channel, OnMessage, listeners).ConfigureAwait(false);
                }
                else if (!_context.Listeners.TryListenNow(_keys.Channel, OnMessage, listeners))
                {
                    if ((await AttemptAsync(wait: true).ConfigureAwait(false)).Acquisition is { } first)
                    {
                        return await AcquiredAsync(first, place).ConfigureAwait(false);
                    }

                    await _context.Listeners.ListenAsync(_keys.Channel, OnMessage, listeners).ConfigureAwait(false);
                }
            }

            while (true)
            {
                var (next, result) = started is { } first ? (first.Next, first.Result) : (pulse.Next, await AttemptAsync(wait: true).ConfigureAwait(false));
                started = null;
                if (result.Acquisition is { } acquired)
                {
                    return await AcquiredAsync(acquired, place).ConfigureAwait(false);
                }

                if (placeEntry is null && place is not null)
                {
                    // Keep our place (queue deadline, writer intent) alive for as long as we wait.
                    placeEntry = _context.Renewal.Add(place, _context.Time.GetTimestamp());
                }

                // Fall back to a retry when the holder's lease would run out, in case a message is lost.
                var retryIn = TimeSpan.FromMilliseconds(Math.Max(result.RetryInMs, 1));
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(token);
                var delay = Task.Delay(retryIn, _context.Time, timer.Token);
                var woken = result.IgnorePulse ? delay : await Task.WhenAny(next, delay).ConfigureAwait(false);
                await timer.CancelAsync().ConfigureAwait(false);
                await woken.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                token.ThrowIfCancellationRequested();
                _context.Instruments.WaiterWokenUp();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or LockBackendUnavailableException)
        {
            if (place is not null)
            {
                await place.WithdrawAsync(null).ConfigureAwait(false);
            }

            if (_context.Disposed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new ObjectDisposedException(nameof(RedisLockBackend), "The provider was disposed while waiting for the lock.");
            }

            throw;
        }
        finally
        {
            if (placeEntry is not null)
            {
                _context.Renewal.Remove(placeEntry);
            }

            if (_fair)
            {
                _context.Listeners.RemoveFairWaiter(_member);
            }

            foreach (var listener in listeners)
            {
                listener.Dispose();
            }
        }
    }

    private static async Task<LockAcquisition> AcquiredAsync(RedisLockAcquisition acquisition, RedisWaiterPlace? place)
    {
        if (place is not null && acquisition.Mode == RedisLockMode.Writer && acquisition.Holders.Contains(null))
        {
            // A Redlock writer holds a majority; its intent on the other masters would keep readers out.
            await place.WithdrawAsync(acquisition.Holders).ConfigureAwait(false);
        }

        return acquisition;
    }

    private async Task<Attempt> AttemptAsync(bool wait)
    {
        try
        {
            var result = await AttemptOnceAsync(wait).ConfigureAwait(false);
            if (wait)
            {
                // A test hook: how many attempts a waiter made.
                _context.CountAttempt();
            }

            return result;
        }
        catch (LockBackendUnavailableException)
        {
            // The reply may be lost although a server granted: take back whatever this acquisition may hold
            // (best effort; otherwise the record expires with its TTL).
            await AbandonAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<Attempt> AttemptOnceAsync(bool wait)
    {
        var started = _context.Time.GetTimestamp();
        if (_plainLock)
        {
            var member = _fair ? _member : null;
            var number = await _context.Batcher!.AcquireAsync(_keys, _ownerId, (long)_ttl.TotalMilliseconds, member, join: wait).ConfigureAwait(false);
            return number > 0 ? new Attempt(Hold(_keys, [$"{_ownerId}:{number}"], number, started), 0, false) : new Attempt(null, -number - 1, false);
        }

        if (_context.Masters.Count == 1)
        {
            var reply = (RedisResult[])(await _context.Masters.Nodes[0].EvaluateAsync(AcquireCall(_keys, wait)).ConfigureAwait(false))!;
            var number = (long)reply[1];
            return (long)reply[0] == 1 ? new Attempt(Hold(_keys, [$"{_ownerId}:{number}"], number, started), 0, false) : new Attempt(null, number, false);
        }

        if (_mode != RedisLockMode.RedlockSlot)
        {
            return await RedlockAsync(_keys, wait, started).ConfigureAwait(false);
        }

        // A majority of per-node semaphores would not bound the holders (N+1 holders can each own a
        // majority), so a Redlock semaphore of N permits is N slots, each an exclusive Redlock.
        Attempt? refused = null;
        for (var slot = 0; slot < _permits; slot++)
        {
            var result = await RedlockAsync(_keys.ForSlot(slot), wait, _context.Time.GetTimestamp()).ConfigureAwait(false);
            if (result.Acquisition is not null)
            {
                return result;
            }

            refused = refused is not { } r ? result : new Attempt(null, Math.Min(r.RetryInMs, result.RetryInMs), r.IgnorePulse || result.IgnorePulse);
        }

        return refused!.Value;
    }

    private async Task<Attempt> RedlockAsync(LockKeys keys, bool wait, long started)
    {
        var outcome = await Redlock.AttemptAsync(_context, keys, AcquireCall(keys, wait), _mode, _ownerId, _ttl, started).ConfigureAwait(false);
        return outcome.Holders is { } holders
            ? new Attempt(Hold(keys, holders, outcome.Token, started), 0, false)
            : new Attempt(null, outcome.RetryInMs, outcome.IgnorePulse);
    }

    private ScriptCall AcquireCall(LockKeys keys, bool wait) => RedisScripts.Acquire.Call().Keys(keys)
        .Arg("mode", ScriptMode.Of(_mode)).Arg("id", _ownerId).Arg("ttl", (long)_ttl.TotalMilliseconds).Arg("permits", _permits)
        .Arg("fair", _fair ? 1 : 0).Arg("wait", wait ? 1 : 0).Arg("member", _member).Arg("wake_prefix", _context.WakePrefix)
        .Arg("channel", _keys.ChannelName).Arg("value", _value ?? string.Empty).Arg("floor", 0);

    private RedisLockAcquisition Hold(LockKeys keys, string?[] holders, long token, long started)
    {
        var acquisition = new RedisLockAcquisition(_context, keys, _mode, holders, token, _ttl, _plainLock);
        acquisition.Hold(started);
        return acquisition;
    }

    /// <summary>Takes back whatever this acquire may hold (any token of its owner id), on every master.</summary>
    private async Task AbandonAsync()
    {
        var keys = _mode == RedisLockMode.RedlockSlot ? Enumerable.Range(0, _permits).Select(_keys.ForSlot) : [_keys];
        foreach (var k in keys)
        {
            var call = RedisScripts.Release.Call().Keys(k).Arg("mode", ScriptMode.Of(_mode)).Arg("holder", _ownerId + ":")
                .Arg("channel", k.ChannelName).Arg("wake_prefix", _context.WakePrefix);
            await _context.Masters.TryEachAsync(call, _context.Logger, "take back a failed acquire").ConfigureAwait(false);
        }
    }

    private readonly record struct Attempt(RedisLockAcquisition? Acquisition, long RetryInMs, bool IgnorePulse);

    /// <summary>A fair waiter's wake-ups, what <see cref="Pulse.Next"/> was before its first attempt, and that attempt.</summary>
    private sealed record Waiting(Pulse Pulse, Task Next, Attempt Result);
}
