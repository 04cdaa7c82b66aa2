using System.Diagnostics;

namespace Latchkey.Bench;

/// <summary>
/// Waits of a given length with tens-of-microseconds precision, for hold and think times.
/// <see cref="Task.Delay(TimeSpan)"/> rounds up to the timer tick (about 4 ms on this kind of machine),
/// which would swamp the figures being measured. One dedicated thread serves every wait of a run: it
/// blocks on an event until about <see cref="SpinWindow"/> before the earliest deadline (a blocking wait
/// with a timeout is precise to well under a millisecond), then spins, yielding, to the deadline and
/// completes the waiter. So a run with hold or think times costs at most one core's worth of spinning,
/// whatever the number of contenders.
/// </summary>
public sealed class PreciseDelay : IDisposable
{
    /// <summary>How long before a deadline the timer thread stops blocking and starts spinning.</summary>
    public static readonly TimeSpan SpinWindow = TimeSpan.FromMicroseconds(300);

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
        var spinTicks = (long)(SpinWindow.TotalSeconds * Stopwatch.Frequency);
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
            else if (remaining > spinTicks)
            {
                _wake.WaitOne(TimeSpan.FromSeconds((double)(remaining - spinTicks) / Stopwatch.Frequency));
            }
            else if (remaining > 0)
            {
                Thread.Yield();
            }
        }
    }
}
