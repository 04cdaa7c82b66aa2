namespace Latchkey.Conformance;

/// <summary>
/// Many callers of one provider on a few locks at once (caller i on lock i mod K), each acquiring and
/// releasing in a loop: counts what must never happen, two callers inside one lock at once and a fencing
/// token not above the one before it on that lock. Backends that batch the requests of one provider's
/// callers (etcd, Redis) meet exactly this load.
/// </summary>
public static class ContentionLoad
{
    /// <summary>Runs the load: <paramref name="callers"/> tasks, <paramref name="cycles"/> cycles each, on locks <c>{namePrefix}-0 … -{locks − 1}</c>.</summary>
    public static async Task<ContentionOutcome> RunAsync(ILockProvider provider, string namePrefix, int callers, int locks, int cycles, TimeSpan patience, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var inside = new int[locks];
        var lastToken = new long[locks];
        int overlaps = 0, backwards = 0;
        long completed = 0;

        await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(
            async () =>
            {
                var slot = caller % locks;
                var theLock = provider.CreateLock($"{namePrefix}-{slot}");
                for (var i = 0; i < cycles; i++)
                {
                    await using var held = await theLock.AcquireAsync(patience, cancellationToken);
                    if (Interlocked.Increment(ref inside[slot]) != 1)
                    {
                        Interlocked.Increment(ref overlaps);
                    }

                    // Written only while holding the lock, so the lock itself orders these reads and writes.
                    if (held.FencingToken <= lastToken[slot])
                    {
                        Interlocked.Increment(ref backwards);
                    }

                    lastToken[slot] = held.FencingToken;
                    await Task.Yield();
                    Interlocked.Decrement(ref inside[slot]);
                    Interlocked.Increment(ref completed);
                }
            },
            cancellationToken)));

        return new ContentionOutcome(overlaps, backwards, completed);
    }
}

/// <summary>What <see cref="ContentionLoad.RunAsync"/> counted.</summary>
/// <param name="Overlaps">Times a caller got a lock while another caller was inside it.</param>
/// <param name="TokensNotIncreasing">Times a holder's fencing token was not above the previous holder's.</param>
/// <param name="Cycles">Acquire/release cycles completed.</param>
public sealed record ContentionOutcome(int Overlaps, int TokensNotIncreasing, long Cycles);
