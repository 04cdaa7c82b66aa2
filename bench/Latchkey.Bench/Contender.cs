using System.Diagnostics;

namespace Latchkey.Bench;

/// <summary>One contender's loop: acquire, hold, note the release on the board, release, think.</summary>
internal sealed class Contender(long id, int lockIndex, IDistributedLock distributedLock)
{
    public long Id { get; } = id;

    public LatencyHistogram Acquire { get; } = new();

    public LatencyHistogram Handoff { get; } = new();

    public long Cycles { get; private set; }

    public long AllCycles { get; private set; }

    public async Task RunAsync(BenchClock clock, BenchOptions options, ReleaseBoard board, PreciseDelay delay, CancellationToken stop)
    {
        var toNanoseconds = 1_000_000_000.0 / Stopwatch.Frequency;
        await delay.WaitAsync(clock.UntilStart());
        while (true)
        {
            var asked = Stopwatch.GetTimestamp();
            if (asked >= clock.End)
            {
                return;
            }

            ILockHandle handle;
            try
            {
                handle = await distributedLock.AcquireAsync(cancellationToken: stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }

            var acquired = Stopwatch.GetTimestamp();
            var (lastOwner, lastRelease) = board.Read(lockIndex);
            AllCycles++;
            if (asked >= clock.MeasureStart && acquired < clock.End)
            {
                Cycles++;
                Acquire.Record((long)((acquired - asked) * toNanoseconds));

                // A hand-off: the lock went from a different contender to this one, which was already
                // waiting when it was released. A releaser barging back in is not a hand-off.
                if (lastOwner >= 0 && lastOwner != Id && lastRelease >= asked)
                {
                    Handoff.Record((long)((acquired - lastRelease) * toNanoseconds));
                }
            }

            if (options.Hold > TimeSpan.Zero)
            {
                await delay.WaitAsync(options.Hold);
            }

            board.Write(lockIndex, Id, Stopwatch.GetTimestamp());
            await handle.ReleaseAsync();
            if (options.Think > TimeSpan.Zero)
            {
                await delay.WaitAsync(options.Think);
            }
        }
    }
}
