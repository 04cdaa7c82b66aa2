using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
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
internal sealed class RedisLockBackend : LockBackend
{
    private readonly RedisLockSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RedisNode[] _nodes;
    private readonly int _quorum;
    private readonly string _providerId = Guid.NewGuid().ToString("N")[..16];
    private readonly ConcurrentDictionary<RedisLockLease, byte> _held = new();
    private readonly ConcurrentDictionary<string, Pulse> _fairWaiters = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _wakeGate = new();
    private Task<IDisposable>? _wakeSubscription;
    private long _sequence;
    private long _wakeups;
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
    }

    public override LockProviderCapabilities Capabilities { get; }

    /// <summary>How many times a waiter woke to try again (a message or its fallback timer).</summary>
    public override long WaiterWakeups => Volatile.Read(ref _wakeups);

    internal RenewalLoop Renewal { get; }

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

    public override async ValueTask<LockLease?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        var attempt = new AcquireArgs(this, request);
        if (!request.Wait)
        {
            return (await AttemptAsync(attempt, wait: false).ConfigureAwait(false)).Lease;
        }

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

                // On a lock that was busy lately the channel is still subscribed: listen at no cost and go
                // straight to the loop. Otherwise the first attempt is the only round trip when uncontended;
                // only a waiter subscribes, and then tries again at once (the loop), which covers a release
                // between its first attempt and the subscription.
                if (!TryListenNow(attempt.Keys.Channel, OnMessage, listeners))
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
                Interlocked.Increment(ref _wakeups);
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

    private async Task<LockLease> AcquiredAsync(AcquireArgs attempt, RedisLockLease lease)
    {
        if (attempt.Mode == 'w' && lease.Holders.Contains(null))
        {
            // A Redlock writer holds a majority; its intent on the other masters would keep readers out.
            await WithdrawAsync(attempt, lease.Holders).ConfigureAwait(false);
        }

        return lease;
    }

    public override async ValueTask<LockStatus> GetStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken) =>
        (await ReadStatusAsync(kind, name, new LockKeys(_settings.Prefix, kind, escapedName)).ConfigureAwait(false)).Status;

    public override async IAsyncEnumerable<LockStatus> WatchStatusAsync(LockKind kind, string name, string escapedName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var keys = new LockKeys(_settings.Prefix, kind, escapedName);
        var pulse = new Pulse();
        var listeners = new List<IDisposable>();
        try
        {
            await ListenAsync(keys.Channel, _ => pulse.Fire(), listeners).ConfigureAwait(false);
            while (true)
            {
                var next = pulse.Next;
                var (status, expiresInMs) = await ReadStatusAsync(kind, name, keys).ConfigureAwait(false);
                yield return status;

                // A holder that dies sends no message: look again when its lease would run out.
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var delay = expiresInMs is { } ms ? Task.Delay(TimeSpan.FromMilliseconds(ms + 1), _time, timer.Token) : Task.Delay(Timeout.Infinite, timer.Token);
                var woken = await Task.WhenAny(next, delay).ConfigureAwait(false);
                await timer.CancelAsync().ConfigureAwait(false);
                await woken.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Dispose();
            }
        }
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

    internal async ValueTask ReleaseAsync(RedisLockLease lease, bool mustConfirm)
    {
        if (lease.RenewalEntry is { } entry)
        {
            Renewal.Remove(entry);
        }

        _held.TryRemove(lease, out _);
        var values = new RedisValue[] { lease.Mode.ToString(), RedisValue.Null, lease.Keys.Channel.ToString(), WakePrefix };
        var outcomes = await Task.WhenAll(_nodes.Select(async (node, i) =>
        {
            if (lease.Holders[i] is not { } holder)
            {
                return (Exception?)null;
            }

            try
            {
                var perNode = (RedisValue[])values.Clone();
                perNode[1] = holder;
                await node.EvaluateAsync(RedisScripts.Release, lease.Keys.ForRelease, perNode).ConfigureAwait(false);
                return null;
            }
            catch (LockBackendUnavailableException ex)
            {
                return ex;
            }
        })).ConfigureAwait(false);

        var failures = outcomes.Where(e => e is not null).ToList();
        if (mustConfirm && failures.Count > _nodes.Length - _quorum)
        {
            throw new LockBackendUnavailableException("The release could not be confirmed; the lock frees itself when its TTL runs out.", failures[0]!);
        }
    }

    internal async Task<RenewOutcome> RenewAsync(RedisLockLease lease)
    {
        var ttl = (long)lease.Ttl.TotalMilliseconds;
        var pending = _nodes.Select(async (node, i) =>
        {
            if (lease.Holders[i] is not { } holder)
            {
                return (bool?)false;
            }

            try
            {
                var reply = await node.EvaluateAsync(RedisScripts.Renew, lease.Keys.ForRenew, [lease.Mode.ToString(), holder, ttl]).ConfigureAwait(false);
                return (long)reply == 1;
            }
            catch (LockBackendUnavailableException)
            {
                return null;
            }
        }).ToList();

        // Confirmed as soon as a majority is: a slow or dead master must not hold the lease hostage.
        int renewed = 0, gone = 0;
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            var result = await done.ConfigureAwait(false);
            renewed += result == true ? 1 : 0;
            gone += result == false ? 1 : 0;
            if (renewed >= _quorum)
            {
                return RenewOutcome.Confirmed;
            }

            if (gone > _nodes.Length - _quorum)
            {
                return RenewOutcome.Gone;
            }
        }

        return RenewOutcome.Failed;
    }

    internal async ValueTask ProclaimAsync(RedisLockLease lease, string value)
    {
        var results = await Task.WhenAll(_nodes.Select(async (node, i) =>
        {
            if (lease.Holders[i] is not { } holder)
            {
                return false;
            }

            try
            {
                return (long)await node.EvaluateAsync(RedisScripts.Proclaim, lease.Keys.ForProclaim, [holder, value, lease.Keys.Channel.ToString()]).ConfigureAwait(false) == 1;
            }
            catch (LockBackendUnavailableException)
            {
                return false;
            }
        })).ConfigureAwait(false);

        if (results.Count(r => r) < _quorum)
        {
            throw new LockLostException("The leader's value could not be replaced: leadership is no longer held (or the servers did not answer).");
        }
    }

    internal async Task<RenewOutcome> TouchAsync(AcquireArgs attempt)
    {
        var results = await Task.WhenAll(_nodes.Select(async node =>
        {
            try
            {
                return (bool?)((long)await node.EvaluateAsync(RedisScripts.Touch, attempt.Keys.ForWaiter, [attempt.Member, attempt.OwnerId, attempt.TtlMs, attempt.Fair ? 1 : 0]).ConfigureAwait(false) == 1);
            }
            catch (LockBackendUnavailableException)
            {
                return null;
            }
        })).ConfigureAwait(false);
        return results.Any(r => r == false) ? RenewOutcome.Gone : results.Any(r => r is null) ? RenewOutcome.Failed : RenewOutcome.Confirmed;
    }

    internal string NewOwnerId() => string.Create(CultureInfo.InvariantCulture, $"{_providerId}.{Interlocked.Increment(ref _sequence)}");

    private async Task<AttemptResult> AttemptAsync(AcquireArgs a, bool wait)
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

    private async Task<AttemptResult> RedlockAttemptAsync(AcquireArgs a, LockKeys keys, RedisValue[] values, long started)
    {
        var replies = await Task.WhenAll(_nodes.Select(async node =>
        {
            try
            {
                var reply = (RedisResult[])(await node.EvaluateAsync(RedisScripts.Acquire, keys.ForAcquire, values).ConfigureAwait(false))!;
                return (Granted: (long)reply[0] == 1, Number: (long)reply[1], Error: (Exception?)null);
            }
            catch (LockBackendUnavailableException ex)
            {
                return (false, 0L, ex);
            }
        })).ConfigureAwait(false);

        var holders = new string?[_nodes.Length];
        long token = 0;
        var retryIn = long.MaxValue;
        for (var i = 0; i < replies.Length; i++)
        {
            if (replies[i].Granted)
            {
                holders[i] = $"{a.OwnerId}:{replies[i].Number}";
                token = Math.Max(token, replies[i].Number);
            }
            else if (replies[i].Error is null)
            {
                retryIn = Math.Min(retryIn, replies[i].Number);
            }
        }

        var granted = holders.Count(h => h is not null);
        var failures = replies.Count(r => r.Error is not null);
        if (granted >= _quorum && await AgreeOnTokenAsync(a, keys, holders, replies.Select(r => r.Number).ToArray(), token).ConfigureAwait(false)
            && _time.GetElapsedTime(started) < TimeSpan.FromMilliseconds(a.TtlMs) - RenewalLoop.SafetyMargin(TimeSpan.FromMilliseconds(a.TtlMs)))
        {
            return new AttemptResult(Track(a, keys, holders, token, started), 0, false);
        }

        if (granted > 0)
        {
            var partial = new RedisLockLease(this, keys, a.Mode, holders, token, TimeSpan.FromMilliseconds(a.TtlMs));
            await ReleaseAsync(partial, mustConfirm: false).ConfigureAwait(false);
        }

        if (failures > _nodes.Length - _quorum)
        {
            throw new LockBackendUnavailableException(
                $"Redlock reached only {_nodes.Length - failures} of {_nodes.Length} masters; it needs {_quorum}.",
                replies.First(r => r.Error is not null).Error!);
        }

        // A split vote: back off a random moment, as Redlock prescribes, so contenders do not collide again.
        return granted > 0
            ? new AttemptResult(null, Random.Shared.Next(2, 20), true)
            : new AttemptResult(null, retryIn == long.MaxValue ? 1 : retryIn, false);
    }

    /// <summary>
    /// Redlock's token is the largest counter of the majority; nodes whose counter is behind are raised to it
    /// while we still hold them, so every later majority (which shares a node with ours) draws a larger one.
    /// </summary>
    private async Task<bool> AgreeOnTokenAsync(AcquireArgs a, LockKeys keys, string?[] holders, long[] numbers, long token)
    {
        var confirmed = await Task.WhenAll(_nodes.Select(async (node, i) =>
        {
            if (holders[i] is not { } holder)
            {
                return false;
            }

            if (numbers[i] == token)
            {
                return true;
            }

            try
            {
                return (long)await node.EvaluateAsync(RedisScripts.Fence, keys.ForFence, [a.Mode.ToString(), holder, token]).ConfigureAwait(false) == 1;
            }
            catch (LockBackendUnavailableException)
            {
                return false;
            }
        })).ConfigureAwait(false);
        return confirmed.Count(c => c) >= _quorum;
    }

    private RedisLockLease Track(AcquireArgs a, LockKeys keys, string?[] holders, long token, long started)
    {
        var lease = new RedisLockLease(this, keys, a.Mode, holders, token, TimeSpan.FromMilliseconds(a.TtlMs));
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

    private async Task<(LockStatus Status, long? ExpiresInMs)> ReadStatusAsync(LockKind kind, string name, LockKeys keys)
    {
        var perNode = await Task.WhenAll(_nodes.Select(async node =>
        {
            try
            {
                return (RedisResult[]?)(await node.EvaluateAsync(RedisScripts.Status, keys.ForStatus, []).ConfigureAwait(false))!;
            }
            catch (LockBackendUnavailableException) when (_nodes.Length > 1)
            {
                return null;
            }
        })).ConfigureAwait(false);

        var holders = new Dictionary<string, (LockParticipant Participant, int Votes)>(StringComparer.Ordinal);
        var waiters = new List<LockParticipant>();
        long? expiresIn = null;
        var answered = 0;
        foreach (var reply in perNode)
        {
            if (reply is null)
            {
                continue;
            }

            answered++;
            var now = (long)reply[5];
            var value = reply[2].IsNull ? null : (string?)reply[2];
            if (!reply[0].IsNull)
            {
                var access = LockAccess.Exclusive;
                AddHolder(holders, (string)reply[0]!, access, kind == LockKind.Election ? value : null);
                var pttl = (long)reply[1];
                if (pttl >= 0)
                {
                    expiresIn = Math.Min(expiresIn ?? long.MaxValue, pttl);
                }
            }

            var members = (RedisResult[])reply[3]!;
            for (var i = 0; i + 1 < members.Length; i += 2)
            {
                AddHolder(holders, (string)members[i]!, kind == LockKind.ReaderWriter ? LockAccess.Shared : LockAccess.Exclusive, null);
                expiresIn = Math.Min(expiresIn ?? long.MaxValue, Math.Max((long)(double)members[i + 1] - now, 0));
            }

            if (waiters.Count == 0)
            {
                foreach (var w in (RedisResult[])reply[4]!)
                {
                    var parts = ((string)w!).Split('|');
                    waiters.Add(new LockParticipant(parts[1], parts[2] == "r" ? LockAccess.Shared : LockAccess.Exclusive, null));
                }

                // Outside fair mode the only waiter the server knows of is a writer announcing its intent.
                if (!reply[6].IsNull && !waiters.Exists(w => w.Id == (string)reply[6]!))
                {
                    waiters.Add(new LockParticipant((string)reply[6]!, LockAccess.Exclusive, null));
                }
            }
        }

        if (answered == 0 || answered < _quorum)
        {
            throw new LockBackendUnavailableException($"Only {answered} of {_nodes.Length} Redis masters answered; {_quorum} are needed to read a status.");
        }

        var list = holders.Values.Where(h => h.Votes >= _quorum).Select(h => h.Participant).OrderBy(p => p.Sequence).ToList();
        return (new LockStatus(kind, name, list, waiters), expiresIn);
    }

    private static void AddHolder(Dictionary<string, (LockParticipant Participant, int Votes)> holders, string record, LockAccess access, string? value)
    {
        var colon = record.LastIndexOf(':');
        var id = record[..colon];
        var token = long.Parse(record.AsSpan(colon + 1), CultureInfo.InvariantCulture);
        if (holders.TryGetValue(id, out var existing))
        {
            var sequence = Math.Max(existing.Participant.Sequence ?? 0, token);
            holders[id] = (existing.Participant with { Sequence = sequence, Value = existing.Participant.Value ?? value }, existing.Votes + 1);
        }
        else
        {
            holders[id] = (new LockParticipant(id, access, token, value), 1);
        }
    }

    /// <summary>One acquire's fixed arguments, shared by its attempts.</summary>
    internal sealed class AcquireArgs
    {
        public AcquireArgs(RedisLockBackend backend, LockRequest request)
        {
            Keys = new LockKeys(backend._settings.Prefix, request.Kind, request.EscapedName);
            Mode = request.Kind switch
            {
                LockKind.Semaphore => backend._nodes.Length > 1 ? 'k' : 's',
                LockKind.ReaderWriter => request.Access == LockAccess.Shared ? 'r' : 'w',
                _ => 'x',
            };
            OwnerId = backend.NewOwnerId();
            Fair = backend._nodes.Length == 1 && (request.Options.Fair ?? backend._settings.Fair);
            Member = Fair ? $"{backend._providerId}|{OwnerId}|{Mode}" : string.Empty;
            TtlMs = (long)request.Options.Ttl.TotalMilliseconds;
            Permits = request.Permits;
            Value = request.Value;
        }

        public LockKeys Keys { get; }

        public char Mode { get; }

        public string OwnerId { get; }

        public bool Fair { get; }

        public string Member { get; }

        public long TtlMs { get; }

        public int Permits { get; }

        public string? Value { get; }
    }

    private sealed record AttemptResult(RedisLockLease? Lease, long RetryInMs, bool IgnorePulse);

    /// <summary>A waiter's place (fair-queue deadline or writer intent), kept alive by the renewal loop.</summary>
    private sealed class WaiterPlace(RedisLockBackend backend, AcquireArgs attempt, Pulse pulse) : IRenewable
    {
        public TimeSpan Ttl => TimeSpan.FromMilliseconds(attempt.TtlMs);

        public bool CanBeLost => false;

        public Task<RenewOutcome> RenewAsync() => backend.TouchAsync(attempt);

        // Dropped from the queue: retry now, which joins it again.
        public void OnLost() => pulse.Fire();
    }
}
