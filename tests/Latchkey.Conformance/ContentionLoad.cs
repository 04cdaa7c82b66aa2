namespace Latchkey.Conformance;

/// <summary>
/// Callers on a few locks at once (caller i on lock i mod K, through provider i mod P), each acquiring and
/// releasing in a loop: counts what must never happen, two callers inside one lock at once, a fencing token not
/// above the one before it on that lock, and an update lost by a read-modify-write that the lock should protect.
/// Backends that batch the requests of one provider's callers (etcd, Redis) meet exactly this load.
/// </summary>
public static class ContentionLoad
{
    /// <summary>Runs the load: <paramref name="callers"/> tasks, <paramref name="cycles"/> cycles each, on locks <c>{namePrefix}-0 … -{locks − 1}</c>.</summary>
    public static async Task<ContentionOutcome> RunAsync(IReadOnlyList<ILockProvider> providers, string namePrefix, int callers, int locks, int cycles, TimeSpan patience, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(providers);
        var inside = new int[locks];
        var lastToken = new long[locks];
        var counter = new long[locks];
        int overlaps = 0, backwards = 0;

        await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(
            async () =>
            {
                var slot = caller % locks;
                var theLock = providers[caller % providers.Count].CreateLock($"{namePrefix}-{slot}");
                for (var i = 0; i < cycles; i++)
                {
                    await using var held = await theLock.AcquireAsync(patience, cancellationToken);
                    if (Interlocked.Increment(ref inside[slot]) != 1)
                    {
                        Interlocked.Increment(ref overlaps);
                    }

                    // Read and written only while holding the lock, so the lock itself orders these reads and writes.
                    if (held.FencingToken <= lastToken[slot])
                    {
                        Interlocked.Increment(ref backwards);
                    }

                    lastToken[slot] = held.FencingToken;
                    var read = counter[slot];
                    await Task.Yield();
                    counter[slot] = read + 1;
                    Interlocked.Decrement(ref inside[slot]);
                }
            },
            cancellationToken)));

        return new ContentionOutcome(overlaps, backwards, counter.Sum());
    }
}

/// <summary>What <see cref="ContentionLoad.RunAsync"/> counted.</summary>
/// <param name="Overlaps">Times a caller got a lock while another caller was inside it.</param>
/// <param name="TokensNotIncreasing">Times a holder's fencing token was not above the previous holder's.</param>
/// <param name="Cycles">Cycles counted by an unguarded read-modify-write under the lock: fewer than asked for means updates were lost.</param>
public sealed record ContentionOutcome(int Overlaps, int TokensNotIncreasing, long Cycles);
