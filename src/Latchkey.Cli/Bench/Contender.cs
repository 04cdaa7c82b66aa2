using System.Diagnostics;

namespace Latchkey.Cli.Bench;

/// <summary>One contender's loop: acquire, hold, note the release on the board, release, think.</summary>
internal sealed class Contender(long id, int lockIndex, IDistributedLock distributedLock)
{
    public long Id { get; } = id;

    public LatencyHistogram Acquire { get; } = new();

    public LatencyHistogram Handoff { get; } = new();

    public long Cycles { get; private set; }

    public long AllCycles { get; private set; }

    /// <summary>The most times the lock went to others while this contender waited for it once.</summary>
    public long MostTurnsWaited { get; private set; }

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

            var grantsWhenAsked = board.StartWaiting(lockIndex);
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
            var (_, _, turnsWaited, handoff) = board.Acquired(lockIndex, grantsWhenAsked, asked, acquired);
            AllCycles++;
            if (asked >= clock.MeasureStart && acquired < clock.End)
            {
                Cycles++;
                Acquire.Record((long)((acquired - asked) * toNanoseconds));
                MostTurnsWaited = Math.Max(MostTurnsWaited, turnsWaited);

                // A hand-off: the lock went to this contender, which was waiting when it was first released
                // with waiters behind; if the releaser or a newcomer took it again meanwhile, that time counts.
                if (handoff >= 0)
                {
                    Handoff.Record((long)(handoff * toNanoseconds));
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
