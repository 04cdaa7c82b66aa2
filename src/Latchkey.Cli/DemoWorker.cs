using System.Diagnostics;
using System.Globalization;

namespace Latchkey.Cli;

/// <summary>
/// One demo worker, in a task or in a child process: takes the lock for a number of rounds, writing an
/// enter and an exit record (fencing token, Stopwatch timestamp) to its own journal file inside each
/// critical section. On Linux the Stopwatch reads the system-wide monotonic clock, so the records of
/// every process can be compared.
/// </summary>
internal sealed class DemoWorker(string name, IDistributedLock distributedLock, string journalPath, Action<DemoEventKind, long> report)
{
    public string Name { get; } = name;

    public async Task RunAsync(int rounds, TimeSpan hold, bool dieHolding, CancellationToken cancellationToken)
    {
        await using var journal = new StreamWriter(new FileStream(journalPath, FileMode.Append, FileAccess.Write, FileShare.Read));
        for (var round = 0; round < rounds || dieHolding; round++)
        {
            report(DemoEventKind.Waiting, 0);
            await using var handle = await distributedLock.AcquireAsync(cancellationToken: cancellationToken);
            await RecordAsync(journal, "enter", handle.FencingToken);
            if (dieHolding)
            {
                // The demo kills this process now; the OS, not a TTL, frees the lock.
                report(DemoEventKind.Holding, handle.FencingToken);
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            report(DemoEventKind.Acquired, handle.FencingToken);
            await Task.Delay(hold, cancellationToken);
            await RecordAsync(journal, "exit", handle.FencingToken);
            await handle.ReleaseAsync();
            report(DemoEventKind.Released, handle.FencingToken);
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 40)), cancellationToken);
        }
    }

    private static async Task RecordAsync(StreamWriter journal, string what, long token)
    {
        await journal.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{what} {token} {Stopwatch.GetTimestamp()}"));
        await journal.FlushAsync();
    }
}
