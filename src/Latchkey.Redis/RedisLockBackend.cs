using System.Collections.Concurrent;
using System.Globalization;
using Latchkey.Backend;
using Latchkey.Redis.Protocol;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Latchkey.Redis;

/// <summary>
/// Locks on one Redis, or on several independent masters by Redlock (held on a majority). Acquire is one
/// script (<c>SET NX PX</c> + <c>INCR</c> of the fence counter); release and renewal compare the holder record
/// first. Waiters sleep on a pub/sub message (or, in fair mode, a wake-up addressed to the queue's head)
/// with a fallback timer at the holder's remaining TTL: no polling.
/// </summary>
internal sealed partial class RedisLockBackend : LockBackend
{
    private readonly RedisLockSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RedisNode[] _nodes;
    private readonly int _quorum;
    private readonly string _providerId = Guid.NewGuid().ToString("N")[..16];
    private readonly ConcurrentDictionary<RedisLockAcquisition, byte> _held = new();
    private readonly ConcurrentDictionary<string, Pulse> _fairWaiters = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _wakeGate = new();
    private Task<IDisposable>? _wakeSubscription;
    private long _sequence;
    private long _attempts;

    public RedisLockBackend(RedisLockSettings settings, LockProviderOptions options)
    {
        _settings = settings;
        _time = options.TimeProvider;
        _logger = options.LoggerFactory.CreateLogger("Latchkey.Redis");
        _nodes = [.. settings.Endpoints.Select(e => new RedisNode(settings, e, options.TimeProvider))];
        _quorum = (_nodes.Length / 2) + 1;
        Renewal = new RenewalLoop(_time, _logger);
        Capabilities = new LockProviderCapabilities
        {
            Backend = "redis",
            Fair = settings.Fair,
            HerdFree = settings.Fair,
            DurableFencingTokens = false,
            CrossMachine = true,
            CrossProcess = true,
            Leases = true,
        };
        WakePrefix = settings.Prefix + "wake:";
        Batcher = _nodes.Length == 1 ? new LockBatcher(_nodes[0], WakePrefix, Instruments) : null;
    }

    public override LockProviderCapabilities Capabilities { get; }

    /// <summary>How many times a waiter woke to try again (a message or its fallback timer).</summary>

    internal RenewalLoop Renewal { get; }

    /// <summary>Sends plain locks' acquires and releases, batched under load; only on a single Redis.</summary>
    internal LockBatcher? Batcher { get; }

    /// <summary>Test hook: how many acquire attempts have been answered (by every server asked).</summary>
    internal long Attempts => Volatile.Read(ref _attempts);

    internal IReadOnlyList<RedisNode> Nodes => _nodes;

    internal string Prefix => _settings.Prefix;

    private string WakePrefix { get; }

    public override async ValueTask ConnectAsync(CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(_nodes.Select(async n =>
        {
            try
            {
                await n.ConnectAsync(cancellationToken).ConfigureAwait(false);
                return null;
            }
            catch (LockBackendUnavailableException ex)
            {
                return ex;
            }
        })).ConfigureAwait(false);
        var failures = results.Where(e => e is not null).ToList();
        if (failures.Count > _nodes.Length - _quorum)
        {
            throw failures.OfType<LockAuthenticationException>().FirstOrDefault() as LockBackendUnavailableException
                ?? (_nodes.Length == 1 ? failures[0]! : new LockBackendUnavailableException($"Redlock reached {_nodes.Length - failures.Count} of {_nodes.Length} masters; it needs {_quorum}.", failures[0]!));
        }
    }

    public override void ValidateOptions(LockOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Ttl < TimeSpan.FromMilliseconds(100))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Ttl, $"Redis locks need a TTL of at least 100 ms (renewal runs every TTL/3); got {options.Ttl}.");
        }

        if (options.Fair == true && _nodes.Length > 1)
        {
            throw new ArgumentException("Redlock has no fair mode: Fair = true needs a single Redis.", nameof(options));
        }
    }

    public override async ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        var attempt = new AcquireArgs(this, request);
        if (!request.Wait)
        {
            return (await AttemptAsync(attempt, wait: false).ConfigureAwait(false)).Lease;
        }

        // Uncontended, the first attempt is the only round trip, so make it before setting up any waiting. On a
        // lock that was busy lately the channel is still subscribed: then go straight to the waiting below, which
        // listens at no cost first. (A fair waiter must be registered, and a writer's intent withdrawn on failure,
        // before its first attempt: they take the waiting path from the start.)
        var triedOnce = false;
        if (!attempt.Fair && attempt.Mode != 'w' && !_nodes.All(n => n.IsListening(attempt.Keys.ChannelName)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var first = await AttemptAsync(attempt, wait: true).ConfigureAwait(false);
            Interlocked.Increment(ref _attempts);
            if (first.Lease is not null)
            {
                return await AcquiredAsync(attempt, first.Lease).ConfigureAwait(false);
            }

            triedOnce = true;
        }

        return await WaitAsync(attempt, triedOnce, cancellationToken).ConfigureAwait(false);
    }

    private async Task<LockAcquisition> WaitAsync(AcquireArgs attempt, bool triedOnce, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        var token = linked.Token;
        var pulse = new Pulse();
        var listeners = new List<IDisposable>();
        object? touchEntry = null;
        try
        {
            if (attempt.Fair)
            {
                // Registered before the attempt that queues us, so a wake-up right after it is not lost.
                _fairWaiters[attempt.Member] = pulse;
                await EnsureWakeSubscriptionAsync().ConfigureAwait(false);
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
                    await ListenAsync(attempt.Keys.Channel, OnMessage, listeners).ConfigureAwait(false);
                }
                else if (!TryListenNow(attempt.Keys.Channel, OnMessage, listeners))
                {
                    var first = await AttemptAsync(attempt, wait: true).ConfigureAwait(false);
                    Interlocked.Increment(ref _attempts);
                    if (first.Lease is not null)
                    {
                        return await AcquiredAsync(attempt, first.Lease).ConfigureAwait(false);
                    }

                    await ListenAsync(attempt.Keys.Channel, OnMessage, listeners).ConfigureAwait(false);
                }
            }

            while (true)
            {
                var next = pulse.Next;
                var result = await AttemptAsync(attempt, wait: true).ConfigureAwait(false);
                Interlocked.Increment(ref _attempts);
                if (result.Lease is not null)
                {
                    return await AcquiredAsync(attempt, result.Lease).ConfigureAwait(false);
                }

                if (touchEntry is null && (attempt.Fair || attempt.Mode == 'w'))
                {
                    // Keep our place (queue deadline, writer intent) alive for as long as we wait.
                    touchEntry = Renewal.Add(new WaiterPlace(this, attempt, pulse), _time.GetTimestamp());
                }

                // Fall back to a retry when the holder's lease would run out, in case a message is lost.
                var retryIn = TimeSpan.FromMilliseconds(Math.Max(result.RetryInMs, 1));
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(token);
                var delay = Task.Delay(retryIn, _time, timer.Token);
                var woken = result.IgnorePulse ? delay : await Task.WhenAny(next, delay).ConfigureAwait(false);
                await timer.CancelAsync().ConfigureAwait(false);
                await woken.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                token.ThrowIfCancellationRequested();
                Instruments.WaiterWokenUp();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or LockBackendUnavailableException)
        {
            if (attempt.Fair || attempt.Mode == 'w')
            {
                await WithdrawAsync(attempt, null).ConfigureAwait(false);
            }

            if (_disposed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new ObjectDisposedException(nameof(RedisLockBackend), "The provider was disposed while waiting for the lock.");
            }

            throw;
        }
        finally
        {
            if (touchEntry is not null)
            {
                Renewal.Remove(touchEntry);
            }

            if (attempt.Fair)
            {
                _fairWaiters.TryRemove(attempt.Member, out _);
            }

            foreach (var listener in listeners)
            {
                listener.Dispose();
            }
        }
    }

    private async Task<LockAcquisition> AcquiredAsync(AcquireArgs attempt, RedisLockAcquisition lease)
    {
        if (attempt.Mode == 'w' && lease.Holders.Contains(null))
        {
            // A Redlock writer holds a majority; its intent on the other masters would keep readers out.
            await WithdrawAsync(attempt, lease.Holders).ConfigureAwait(false);
        }

        return lease;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync().ConfigureAwait(false);
        await Renewal.DisposeAsync().ConfigureAwait(false);
        foreach (var lease in _held.Keys)
        {
            if (lease.TryMarkReleased())
            {
                await ReleaseAsync(lease, mustConfirm: false).ConfigureAwait(false);
            }
        }

        lock (_wakeGate)
        {
            _wakeSubscription = null;
        }

        foreach (var node in _nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal string NewOwnerId() => string.Create(CultureInfo.InvariantCulture, $"{_providerId}.{Interlocked.Increment(ref _sequence)}");

    private async Task<AttemptResult> AttemptAsync(AcquireArgs a, bool wait)
    {
        try
        {
            return await AttemptCoreAsync(a, wait).ConfigureAwait(false);
        }
        catch (LockBackendUnavailableException)
        {
            // The reply may be lost although a server granted: take back whatever this acquisition may hold
            // (best effort; otherwise the record expires with its TTL).
            await AbandonAsync(a).ConfigureAwait(false);
            throw;
        }
    }

    private async Task AbandonAsync(AcquireArgs a)
    {
        var keys = a.Mode == 'k' ? Enumerable.Range(0, a.Permits).Select(a.Keys.ForSlot) : [a.Keys];
        foreach (var node in _nodes)
        {
            foreach (var k in keys)
            {
                try
                {
                    await node.EvaluateAsync(RedisScripts.Release, k.ForRelease, [a.Mode.ToString(), a.OwnerId + ":", k.Channel.ToString(), WakePrefix]).ConfigureAwait(false);
                }
                catch (LockBackendUnavailableException ex)
                {
                    _logger.LogDebug(ex, "Could not take back a failed acquire on {Node}.", node.Endpoint);
                }
            }
        }
    }

    private async Task<AttemptResult> AttemptCoreAsync(AcquireArgs a, bool wait)
    {
        if (a.PlainLock)
        {
            var started = _time.GetTimestamp();
            var number = await Batcher!.AcquireAsync(a.Keys, a.OwnerId, a.TtlMs).ConfigureAwait(false);
            return number > 0
                ? new AttemptResult(Track(a, a.Keys, [$"{a.OwnerId}:{number}"], number, started), 0, false)
                : new AttemptResult(null, -number - 1, false);
        }

        return await AttemptAnyAsync(a, wait).ConfigureAwait(false);
    }

    private async Task<AttemptResult> AttemptAnyAsync(AcquireArgs a, bool wait)
    {
        RedisValue[] values =
        [
            a.Mode.ToString(), a.OwnerId, a.TtlMs, a.Permits, a.Fair ? 1 : 0, wait ? 1 : 0, a.Member, WakePrefix,
            a.Keys.Channel.ToString(), a.Value ?? string.Empty, 0,
        ];
        var started = _time.GetTimestamp();
        if (_nodes.Length == 1)
        {
            var reply = (RedisResult[])(await _nodes[0].EvaluateAsync(RedisScripts.Acquire, a.Keys.ForAcquire, values).ConfigureAwait(false))!;
            var number = (long)reply[1];
            return (long)reply[0] == 1
                ? new AttemptResult(Track(a, a.Keys, [$"{a.OwnerId}:{number}"], number, started), 0, false)
                : new AttemptResult(null, number, false);
        }

        if (a.Mode != 'k')
        {
            return await RedlockAttemptAsync(a, a.Keys, values, started).ConfigureAwait(false);
        }

        // A majority of per-node semaphores would not bound the holders (N+1 holders can each own a
        // majority), so a Redlock semaphore of N permits is N slots, each an exclusive Redlock.
        AttemptResult? refused = null;
        for (var slot = 0; slot < a.Permits; slot++)
        {
            var result = await RedlockAttemptAsync(a, a.Keys.ForSlot(slot), values, _time.GetTimestamp()).ConfigureAwait(false);
            if (result.Lease is not null)
            {
                return result;
            }

            refused = refused is null ? result : new AttemptResult(null, Math.Min(refused.RetryInMs, result.RetryInMs), refused.IgnorePulse || result.IgnorePulse);
        }

        return refused!;
    }

    private RedisLockAcquisition Track(AcquireArgs a, LockKeys keys, string?[] holders, long token, long started)
    {
        var lease = new RedisLockAcquisition(this, keys, a.Mode, holders, token, TimeSpan.FromMilliseconds(a.TtlMs)) { PlainLock = a.PlainLock };
        _held.TryAdd(lease, 0);
        lease.RenewalEntry = Renewal.Add(lease, started);
        return lease;
    }

    /// <summary>Leaves the queue and drops the writer intent, on every master or on those where <paramref name="granted"/> has no holder.</summary>
    private async Task WithdrawAsync(AcquireArgs a, string?[]? granted)
    {
        for (var i = 0; i < _nodes.Length; i++)
        {
            var node = _nodes[i];
            if (granted?[i] is not null)
            {
                continue;
            }

            try
            {
                await node.EvaluateAsync(RedisScripts.Withdraw, a.Keys.ForWaiter, [a.Member, a.OwnerId, a.Keys.Channel.ToString(), WakePrefix]).ConfigureAwait(false);
            }
            catch (LockBackendUnavailableException ex)
            {
                // The queue deadline or the intent's TTL removes it anyway.
                _logger.LogDebug(ex, "Could not withdraw a waiter from {Node}.", node.Endpoint);
            }
        }
    }

    private async ValueTask ListenAsync(RedisChannel channel, Action<RedisValue> listener, List<IDisposable> registrations)
    {
        var failures = 0;
        LockBackendUnavailableException? first = null;
        foreach (var node in _nodes)
        {
            try
            {
                registrations.Add(await node.ListenAsync(channel, listener).ConfigureAwait(false));
            }
            catch (LockBackendUnavailableException ex)
            {
                failures++;
                first ??= ex;
            }
        }

        if (failures > _nodes.Length - _quorum)
        {
            throw first!;
        }
    }

    /// <summary>Listens on every master where the channel is already subscribed; false (and nothing added) unless all are.</summary>
    private bool TryListenNow(RedisChannel channel, Action<RedisValue> listener, List<IDisposable> registrations)
    {
        foreach (var node in _nodes)
        {
            if (node.TryListenNow(channel, listener) is not { } registration)
            {
                foreach (var added in registrations)
                {
                    added.Dispose();
                }

                registrations.Clear();
                return false;
            }

            registrations.Add(registration);
        }

        return true;
    }

    private Task<IDisposable> EnsureWakeSubscriptionAsync()
    {
        lock (_wakeGate)
        {
            if (_wakeSubscription is null || _wakeSubscription.IsFaulted)
            {
                _wakeSubscription = _nodes[0].ListenAsync(RedisChannel.Literal(WakePrefix + _providerId), OnWake).AsTask();
            }

            return _wakeSubscription;
        }
    }

    private void OnWake(RedisValue member)
    {
        if (_fairWaiters.TryGetValue(member.ToString(), out var pulse))
        {
            pulse.Fire();
        }
    }
}
