using Latchkey.Redis.Protocol;
using Microsoft.Extensions.Logging;

namespace Latchkey.Redis;

/// <summary>
/// The provider's Redis servers: one, or Redlock's independent masters, of which a majority (the
/// <see cref="Quorum"/>) decides. <see cref="VoteAsync"/> is the one place that asks them all and counts.
/// </summary>
internal sealed class RedisMasters
{
    private readonly RedisNode[] _nodes;

    public RedisMasters(RedisNode[] nodes)
    {
        _nodes = nodes;
        Quorum = (nodes.Length / 2) + 1;
    }

    public IReadOnlyList<RedisNode> Nodes => _nodes;

    public int Count => _nodes.Length;

    /// <summary>How many masters make a majority (1 of 1 on a single Redis).</summary>
    public int Quorum { get; }

    /// <summary>How many masters may fail (refuse or not answer) while a majority can still agree.</summary>
    public int Tolerated => _nodes.Length - Quorum;

    /// <summary>
    /// Asks every master at once; a master that cannot be reached is counted as <see cref="Tally.Errors"/>. With
    /// <paramref name="untilDecided"/>, returns as soon as a majority said yes or too many said no for one (the others
    /// still run): a slow or dead master must not hold the answer hostage.
    /// </summary>
    public async Task<Tally> VoteAsync(Func<RedisNode, int, Task<bool>> ask, bool untilDecided = false)
    {
        var pending = _nodes.Select((node, i) => AskAsync(ask, node, i)).ToList();
        int yes = 0, no = 0;
        var errors = new List<LockBackendUnavailableException>();
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            var (answer, error) = await done.ConfigureAwait(false);
            yes += answer == true ? 1 : 0;
            no += answer == false ? 1 : 0;
            if (error is not null)
            {
                errors.Add(error);
            }

            if (untilDecided && (yes >= Quorum || no > Tolerated))
            {
                break;
            }
        }

        return new Tally(yes, no, errors);
    }

    /// <summary>Runs <paramref name="call"/> on every master but those <paramref name="skip"/> names, best effort: failures are only logged.</summary>
    public async Task TryEachAsync(ScriptCall call, ILogger logger, string what, Func<int, bool>? skip = null)
    {
        var tally = await VoteAsync(async (node, i) =>
        {
            if (skip?.Invoke(i) != true)
            {
                await node.EvaluateAsync(call).ConfigureAwait(false);
            }

            return true;
        }).ConfigureAwait(false);
        foreach (var error in tally.Errors)
        {
            logger.LogDebug(error, "Could not {What}; left to expire with its TTL.", what);
        }
    }

    private static async Task<(bool? Answer, LockBackendUnavailableException? Error)> AskAsync(Func<RedisNode, int, Task<bool>> ask, RedisNode node, int index)
    {
        try
        {
            return (await ask(node, index).ConfigureAwait(false), null);
        }
        catch (LockBackendUnavailableException ex)
        {
            return (null, ex);
        }
    }

    /// <summary>What the masters answered.</summary>
    /// <param name="Yes">Masters that said yes.</param>
    /// <param name="No">Masters that said no.</param>
    /// <param name="Errors">Why the others did not answer, in the order they failed.</param>
    internal readonly record struct Tally(int Yes, int No, IReadOnlyList<LockBackendUnavailableException> Errors);
}
