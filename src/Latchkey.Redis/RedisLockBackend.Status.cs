using System.Globalization;
using System.Runtime.CompilerServices;
using Latchkey.Redis.Protocol;
using StackExchange.Redis;

namespace Latchkey.Redis;

/// <summary>Reading and watching who holds and who waits.</summary>
internal sealed partial class RedisLockBackend
{
    public override async ValueTask<LockStatus> GetStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken) =>
        (await ReadStatusAsync(kind, name, new LockKeys(_context.Settings.Prefix, kind, escapedName)).ConfigureAwait(false)).Status;

    public override async IAsyncEnumerable<LockStatus> WatchStatusAsync(LockKind kind, string name, string escapedName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var keys = new LockKeys(_context.Settings.Prefix, kind, escapedName);
        var pulse = new Pulse();
        var listeners = new List<IDisposable>();
        try
        {
            await _context.Listeners.ListenAsync(keys.Channel, _ => pulse.Fire(), listeners).ConfigureAwait(false);
            while (true)
            {
                var next = pulse.Next;
                var (status, expiresInMs) = await ReadStatusAsync(kind, name, keys).ConfigureAwait(false);
                yield return status;

                // A holder that dies sends no message: look again when its lease would run out.
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var delay = expiresInMs is { } ms ? Task.Delay(TimeSpan.FromMilliseconds(ms + 1), _context.Time, timer.Token) : Task.Delay(Timeout.Infinite, timer.Token);
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

    private async Task<(LockStatus Status, long? ExpiresInMs)> ReadStatusAsync(LockKind kind, string name, LockKeys keys)
    {
        var perNode = await Task.WhenAll(Masters.Nodes.Select(async node =>
        {
            try
            {
                return (RedisResult[]?)(await node.EvaluateAsync(RedisScripts.Status.Call().Keys(keys)).ConfigureAwait(false))!;
            }
            catch (LockBackendUnavailableException) when (Masters.Count > 1)
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

        if (answered == 0 || answered < Masters.Quorum)
        {
            throw new LockBackendUnavailableException($"Only {answered} of {Masters.Count} Redis masters answered; {Masters.Quorum} are needed to read a status.");
        }

        var list = holders.Values.Where(h => h.Votes >= Masters.Quorum).Select(h => h.Participant).OrderBy(p => p.Sequence).ToList();
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
}
