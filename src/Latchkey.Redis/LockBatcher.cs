using Latchkey.Backend;
using Latchkey.Redis.Protocol;
using StackExchange.Redis;

namespace Latchkey.Redis;

/// <summary>
/// Sends the acquires and releases of locks (exclusive, not an election; fair or barging) that one provider's callers
/// ask a single Redis for, several to one script call (<c>batch-lock.lua</c>) when they come together (see
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

    /// <summary>
    /// On a Redis Cluster a subscriber of a lock's channel may sit on another node than the one that runs the script,
    /// so the scripts announce changes whether or not they count a subscriber.
    /// </summary>
    private string Always => _node.IsCluster ? "1" : "0";

    /// <summary>
    /// One acquire attempt: the fencing token (&gt; 0) if it acquired, else -(ms until the fallback retry) - 1.
    /// <paramref name="member"/> is the fair queue member (<see langword="null"/>: barging); <paramref name="join"/>
    /// has a fair waiter that did not acquire join the queue (or keep its place, with a new deadline).
    /// </summary>
    /// <exception cref="LockBackendUnavailableException">The server did not answer or refused.</exception>
    public Task<long> AcquireAsync(LockKeys keys, string ownerId, long ttlMs, string? member, bool join) =>
        SubmitAsync(new Op(keys, member is null ? "a" : join ? "w" : "f", ownerId, ttlMs, member ?? string.Empty));

    /// <summary>Releases <paramref name="holder"/> if it still holds and wakes the fair queue's head: 1 if released, 0 if it no longer held.</summary>
    /// <exception cref="LockBackendUnavailableException">The server did not answer or refused.</exception>
    public Task<long> ReleaseAsync(LockKeys keys, string holder) =>
        SubmitAsync(new Op(keys, "r", holder, RedisValue.EmptyString, string.Empty));

    protected override List<Op> TakeBatch(List<Op> waiting)
    {
        var count = Math.Min(waiting.Count, MaxOps);
        var batch = waiting.GetRange(0, count);
        waiting.RemoveRange(0, count);
        return batch;
    }

    protected override async Task SendBatchAsync(List<Op> batch)
    {
        var keys = new RedisKey[batch.Count * 4];
        var values = new RedisValue[2 + (batch.Count * 5)];
        values[0] = _wakePrefix;
        values[1] = Always;
        for (var i = 0; i < batch.Count; i++)
        {
            var op = batch[i];
            keys[4 * i] = op.Keys.Owner;
            keys[(4 * i) + 1] = op.Keys.Fence;
            keys[(4 * i) + 2] = op.Keys.Queue;
            keys[(4 * i) + 3] = op.Keys.Deadlines;
            values[2 + (5 * i)] = op.Kind;
            values[3 + (5 * i)] = op.Record;
            values[4 + (5 * i)] = op.TtlMs;
            values[5 + (5 * i)] = op.Keys.ChannelName;
            values[6 + (5 * i)] = op.Member;
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
            var call = op.Kind == "r"
                ? RedisScripts.ReleaseLock.Call().Key("owner", op.Keys.Owner).Key("queue", op.Keys.Queue)
                    .Arg("holder", op.Record).Arg("channel", op.Keys.ChannelName).Arg("wake_prefix", _wakePrefix).Arg("always", Always)
                : RedisScripts.AcquireLock.Call().Keys(op.Keys).Arg("id", op.Record).Arg("ttl", op.TtlMs).Arg("channel", op.Keys.ChannelName)
                    .Arg("fair", op.Kind == "a" ? 0 : 1).Arg("wait", op.Kind == "w" ? 1 : 0).Arg("member", op.Member)
                    .Arg("wake_prefix", _wakePrefix).Arg("always", Always);
            return (long)await _node.EvaluateAsync(call).ConfigureAwait(false);
        }
        finally
        {
            Done();
        }
    }

    /// <summary>One caller's acquire (<c>a</c> barging, <c>f</c> fair, <c>w</c> fair and joining the queue) or release (<c>r</c>) of a lock.</summary>
    internal sealed class Op(LockKeys keys, string kind, string record, RedisValue ttlMs, string member)
    {
        public LockKeys Keys => keys;

        public string Kind => kind;

        public string Record => record;

        public RedisValue TtlMs => ttlMs;

        public string Member => member;

        public TaskCompletionSource<long> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
