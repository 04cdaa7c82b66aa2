using Latchkey.Backend;
using Latchkey.Redis.Protocol;
using StackExchange.Redis;

namespace Latchkey.Redis;

/// <summary>
/// Sends the acquires and releases of plain locks (exclusive, not fair) that one provider's callers ask a single
/// Redis for, several to one script call (<c>batch-lock.lua</c>) when they come together (see
/// <see cref="RequestBatcher{TRequest}"/>): the per-call cost (parsing, script setup, reply) is what bounds a busy
/// Redis. Ops of one batch run one after the other, in the order asked. An op alone takes the lean scripts; every
/// one of them runs the same Lua (<c>lock.lua</c>).
/// </summary>
internal sealed class LockBatcher : RequestBatcher<LockBatcher.Op>
{
    /// <summary>Calls that may be unanswered at once before ops wait for the next one (1, 2 and 4 measured: 4 did best).</summary>
    public const int MaxInFlight = 4;

    /// <summary>The most ops one call carries, so one script never keeps Redis busy for long.</summary>
    public const int MaxOps = 128;

    private readonly RedisNode _node;
    private readonly string _wakePrefix;

    public LockBatcher(RedisNode node, string wakePrefix, BackendInstruments instruments)
        : base(MaxInFlight, instruments)
    {
        _node = node;
        _wakePrefix = wakePrefix;
    }

    /// <summary>On a Redis Cluster the keys of two locks may live on different nodes: one op per call there.</summary>
    protected override bool Batching => !_node.IsCluster;

    /// <summary>One acquire attempt: the fencing token (&gt; 0) if it acquired, else -(ms until the fallback retry) - 1.</summary>
    /// <exception cref="LockBackendUnavailableException">The server did not answer or refused.</exception>
    public Task<long> AcquireAsync(LockKeys keys, string ownerId, long ttlMs) =>
        SubmitAsync(new Op(keys.Owner, keys.Fence, "a", ownerId, ttlMs, keys.ChannelName));

    /// <summary>Releases <paramref name="holder"/> if it still holds: 1 if released, 0 if it no longer held.</summary>
    /// <exception cref="LockBackendUnavailableException">The server did not answer or refused.</exception>
    public Task<long> ReleaseAsync(LockKeys keys, string holder) =>
        SubmitAsync(new Op(keys.Owner, keys.Queue, "r", holder, RedisValue.EmptyString, keys.ChannelName));

    protected override List<Op> TakeBatch(List<Op> waiting)
    {
        var count = Math.Min(waiting.Count, MaxOps);
        var batch = waiting.GetRange(0, count);
        waiting.RemoveRange(0, count);
        return batch;
    }

    protected override async Task SendBatchAsync(List<Op> batch)
    {
        var keys = new RedisKey[batch.Count * 2];
        var values = new RedisValue[1 + (batch.Count * 4)];
        values[0] = _wakePrefix;
        for (var i = 0; i < batch.Count; i++)
        {
            var op = batch[i];
            keys[2 * i] = op.Owner;
            keys[(2 * i) + 1] = op.Other;
            values[1 + (4 * i)] = op.Kind;
            values[2 + (4 * i)] = op.Record;
            values[3 + (4 * i)] = op.TtlMs;
            values[4 + (4 * i)] = op.Channel;
        }

        var replies = (RedisResult[])(await _node.EvaluateAsync(RedisScripts.BatchLock, keys, values).ConfigureAwait(false))!;
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Result.TrySetResult((long)replies[i]);
        }
    }

    protected override void Fail(Op request, Exception exception) => request.Result.TrySetException(exception);

    private Task<long> SubmitAsync(Op op) => SendsAlone(op) ? SendAloneAsync(op) : op.Result.Task;

    /// <summary>
    /// Sends an op that found a free slot. Its caller awaits the call itself: no hand-over through the op's task,
    /// so an op alone costs no more than a script call.
    /// </summary>
    private async Task<long> SendAloneAsync(Op op)
    {
        try
        {
            // Alone, the lean scripts: the batch script's loop costs the server about a fifth more for one op.
            var call = op.Kind == "a"
                ? RedisScripts.AcquireLock.Call().Key("owner", op.Owner).Key("fence", op.Other).Arg("id", op.Record).Arg("ttl", op.TtlMs).Arg("channel", op.Channel)
                : RedisScripts.ReleaseLock.Call().Key("owner", op.Owner).Key("queue", op.Other).Arg("holder", op.Record).Arg("channel", op.Channel).Arg("wake_prefix", _wakePrefix);
            return (long)await _node.EvaluateAsync(call).ConfigureAwait(false);
        }
        finally
        {
            Done();
        }
    }

    /// <summary>One caller's acquire (<c>a</c>) or release (<c>r</c>) of a plain lock.</summary>
    internal sealed class Op(RedisKey owner, RedisKey other, string kind, string record, RedisValue ttlMs, string channel)
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
