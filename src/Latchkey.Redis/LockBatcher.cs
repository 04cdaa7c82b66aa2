using Latchkey.Redis.Protocol;
using StackExchange.Redis;

namespace Latchkey.Redis;

/// <summary>
/// Sends the acquires and releases of plain locks (exclusive, not fair) that one provider's callers ask a single
/// Redis for, several to one script call when they come together. An op goes out at once while fewer than
/// <see cref="MaxInFlight"/> calls are unanswered; otherwise it waits for the next call, which takes every op
/// waiting by then (up to <see cref="MaxOps"/>). So a lone caller never waits, an op waits behind at most one
/// call, and under load the server runs one script for many ops instead of one each: the per-call cost (parsing,
/// script setup, reply) is what bounds a busy Redis. Ops of one batch run one after the other, in the order asked.
/// </summary>
internal sealed class LockBatcher
{
    /// <summary>Calls that may be unanswered at once before ops wait for the next one.</summary>
    public const int MaxInFlight = 4;

    /// <summary>The most ops one call carries, so one script never keeps Redis busy for long.</summary>
    public const int MaxOps = 128;

    private readonly RedisNode _node;
    private readonly string _wakePrefix;
    private readonly Lock _gate = new();
    private List<Op> _waiting = [];
    private int _inFlight;
    private long _calls;
    private long _ops;

    public LockBatcher(RedisNode node, string wakePrefix)
    {
        _node = node;
        _wakePrefix = wakePrefix;
    }

    /// <summary>Test hook: script calls made so far.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Test hook: ops those calls carried.</summary>
    public long Ops => Interlocked.Read(ref _ops);

    /// <summary>One acquire attempt: the fencing token (&gt; 0) if it acquired, else -(ms until the fallback retry) - 1.</summary>
    /// <exception cref="LockBackendUnavailableException">The server did not answer or refused.</exception>
    public Task<long> AcquireAsync(LockKeys keys, string ownerId, long ttlMs) =>
        SubmitAsync(new Op(keys.Owner, keys.Fence, "a", ownerId, ttlMs, keys.ChannelName));

    /// <summary>Releases <paramref name="holder"/> if it still holds: 1 if released, 0 if it no longer held.</summary>
    /// <exception cref="LockBackendUnavailableException">The server did not answer or refused.</exception>
    public Task<long> ReleaseAsync(LockKeys keys, string holder) =>
        SubmitAsync(new Op(keys.Owner, keys.Queue, "r", holder, RedisValue.EmptyString, keys.ChannelName));

    private Task<long> SubmitAsync(Op op)
    {
        lock (_gate)
        {
            // On a Redis Cluster the keys of two locks may live on different nodes: one op per call there.
            if (_inFlight >= MaxInFlight && !_node.IsCluster)
            {
                _waiting.Add(op);
                return op.Result.Task;
            }

            _inFlight++;
        }

        return SendAloneAsync(op);
    }

    /// <summary>
    /// Sends an op that found a free slot, and hands the slot on to whatever waited meanwhile. Its caller awaits
    /// the call itself: no hand-over through the op's task, so an op alone costs no more than a script call.
    /// </summary>
    private async Task<long> SendAloneAsync(Op op)
    {
        Interlocked.Increment(ref _calls);
        Interlocked.Increment(ref _ops);
        try
        {
            // Alone, the lean scripts: the batch script's loop costs the server about a fifth more for one op.
            if (op.Kind == "a")
            {
                var reply = (RedisResult[])(await _node.EvaluateAsync(RedisScripts.AcquireLock, [op.Owner, op.Other], [op.Record, op.TtlMs, op.Channel]).ConfigureAwait(false))!;
                var number = (long)reply[1];
                return (long)reply[0] == 1 ? number : -number - 1;
            }

            return (long)(await _node.EvaluateAsync(RedisScripts.ReleaseLock, [op.Owner, op.Other], [op.Record, op.Channel, _wakePrefix]).ConfigureAwait(false));
        }
        finally
        {
            if (TakeWaiting() is { } next)
            {
                _ = SendBatchesAsync(next);
            }
        }
    }

    /// <summary>Sends <paramref name="ops"/>, then whatever waited meanwhile, until nothing waits.</summary>
    private async Task SendBatchesAsync(List<Op> ops)
    {
        do
        {
            RedisResult[] replies;
            try
            {
                replies = await CallAsync(ops).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Every op of the batch must learn of the failure, whatever it is, or its caller hangs.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                foreach (var op in ops)
                {
                    // One exception object per caller: each one's await adds its own stack to it.
                    op.Result.TrySetException(ex is LockBackendUnavailableException unavailable
                        ? new LockBackendUnavailableException(unavailable.Message, unavailable)
                        : ex);
                }

                continue;
            }

            for (var i = 0; i < ops.Count; i++)
            {
                ops[i].Result.TrySetResult((long)replies[i]);
            }
        }
        while ((ops = TakeWaiting()!) is not null);
    }

    /// <summary>The ops that waited for a call, for the next one; or none, and the slot is free again.</summary>
    private List<Op>? TakeWaiting()
    {
        lock (_gate)
        {
            if (_waiting.Count == 0)
            {
                _inFlight--;
                return null;
            }

            if (_waiting.Count <= MaxOps)
            {
                var all = _waiting;
                _waiting = [];
                return all;
            }

            var first = _waiting.GetRange(0, MaxOps);
            _waiting.RemoveRange(0, MaxOps);
            return first;
        }
    }

    private async Task<RedisResult[]> CallAsync(List<Op> ops)
    {
        var keys = new RedisKey[ops.Count * 2];
        var values = new RedisValue[1 + (ops.Count * 4)];
        values[0] = _wakePrefix;
        for (var i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            keys[2 * i] = op.Owner;
            keys[(2 * i) + 1] = op.Other;
            values[1 + (4 * i)] = op.Kind;
            values[2 + (4 * i)] = op.Record;
            values[3 + (4 * i)] = op.TtlMs;
            values[4 + (4 * i)] = op.Channel;
        }

        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _ops, ops.Count);
        return (RedisResult[])(await _node.EvaluateAsync(RedisScripts.BatchLock, keys, values).ConfigureAwait(false))!;
    }

    private sealed class Op(RedisKey owner, RedisKey other, string kind, string record, RedisValue ttlMs, string channel)
    {
        public RedisKey Owner => owner;

        public RedisKey Other => other;

        public string Kind => kind;

        public string Record => record;

        public RedisValue TtlMs => ttlMs;

        public string Channel => channel;

        public TaskCompletionSource<long> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
