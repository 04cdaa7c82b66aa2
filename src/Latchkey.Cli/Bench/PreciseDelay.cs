using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Latchkey.Cli.Bench;

/// <summary>
/// Waits of a given length with tens-of-microseconds precision, for hold and think times.
/// <see cref="Task.Delay(TimeSpan)"/> rounds up to the timer tick (about 4 ms on this kind of machine),
/// which would swamp the figures being measured. One dedicated thread serves every wait of a run: it
/// blocks on an event until about a millisecond before the earliest deadline (a blocking wait takes whole
/// milliseconds), then naps in steps of at most <see cref="NapStep"/> (<c>nanosleep</c>, with the thread's
/// timer slack cut to a microsecond) to the deadline, and completes the waiter. It used to spin with
/// <see cref="Thread.Yield"/> instead, which burnt a whole core throughout any run with hold or think
/// times: half of this 2-core machine, taken from the servers and clients being measured.
/// </summary>
public sealed class PreciseDelay : IDisposable
{
    /// <summary>The longest nap near a deadline: a wait asked for meanwhile with an earlier deadline is served this late at most.</summary>
    public static readonly TimeSpan NapStep = TimeSpan.FromMicroseconds(100);

    private const int PrSetTimerSlack = 29;

    private readonly PriorityQueue<TaskCompletionSource, long> _queue = new();
    private readonly Lock _gate = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _thread;
    private bool _stopped;

    /// <summary>Starts the timer thread.</summary>
    public PreciseDelay()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "latchkey-bench-delay" };
        _thread.Start();
    }

    /// <summary>Completes after <paramref name="duration"/>; at once for zero or less.</summary>
    public Task WaitAsync(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool earliest;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            earliest = !_queue.TryPeek(out _, out var first) || deadline < first;
            _queue.Enqueue(waiter, deadline);
        }

        if (earliest)
        {
            _wake.Set();
        }

        return waiter.Task;
    }

    /// <summary>Stops the timer thread; pending waits complete at once.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
        }

        _wake.Set();
        _thread.Join();
        _wake.Dispose();
    }

    private void Run()
    {
        // Linux lets a sleeping thread wake up to 50 µs late by default (timer slack); a microsecond here.
        var canNap = OperatingSystem.IsLinux() && SetTimerSlack(PrSetTimerSlack, 1_000, 0, 0, 0) == 0;
        var napTicks = (long)(NapStep.TotalSeconds * Stopwatch.Frequency);
        var blockTicks = Stopwatch.Frequency / 1000 * 2; // 2 ms: a blocking wait of at least 1 ms still wakes early
        var due = new List<TaskCompletionSource>();
        while (true)
        {
            long next;
            bool stopped;
            lock (_gate)
            {
                var now = Stopwatch.GetTimestamp();
                while (_queue.TryPeek(out var waiter, out var deadline) && (deadline <= now || _stopped))
                {
                    _queue.Dequeue();
                    due.Add(waiter);
                }

                stopped = _stopped;
                next = _queue.TryPeek(out _, out var first) ? first : long.MaxValue;
            }

            foreach (var waiter in due)
            {
                waiter.TrySetResult();
            }

            due.Clear();
            if (stopped)
            {
                // Everything queued was completed above; later calls throw.
                return;
            }

            var remaining = next == long.MaxValue ? long.MaxValue : next - Stopwatch.GetTimestamp();
            if (remaining == long.MaxValue)
            {
                _wake.WaitOne();
            }
            else if (remaining > blockTicks)
            {
                // Whole milliseconds, waking at least one early; a wait with an earlier deadline sets the event.
                _wake.WaitOne((int)((remaining - (blockTicks / 2)) * 1000 / Stopwatch.Frequency));
            }
            else if (remaining > 0)
            {
                Nap(Math.Min(remaining, napTicks), canNap);
            }
        }
    }

    private static void Nap(long ticks, bool canNap)
    {
        if (!canNap)
        {
            Thread.Yield();
            return;
        }

        var request = new TimeSpec { Seconds = 0, Nanoseconds = ticks * 1_000_000_000 / Stopwatch.Frequency };
        _ = NanoSleep(ref request, IntPtr.Zero);
    }

    [DllImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static extern int SetTimerSlack(int option, ulong slackNanoseconds, ulong unused3, ulong unused4, ulong unused5);

    [DllImport("libc", EntryPoint = "nanosleep", SetLastError = true)]
    private static extern int NanoSleep(ref TimeSpec request, IntPtr remaining);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
