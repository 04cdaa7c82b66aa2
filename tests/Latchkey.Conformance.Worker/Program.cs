// Child process for the multi-process conformance and fault tests.
//   worker count CONNECTION_STRING LOCK_NAME ITERATIONS DIR
//     Each iteration: acquire, append "enter PID TOKEN" to DIR/journal, read-modify-write DIR/counter
//     (a non-atomic increment that only mutual exclusion keeps exact), append "exit PID TOKEN", release.
//   worker hold CONNECTION_STRING LOCK_NAME FENCE_FILE TTL
//     Acquire, print "held TOKEN", then for each line on stdin: "await-lost" waits (at most 30 s) for
//     the handle's Lost and prints "lost True|False"; any other line prints "lost True|False" and
//     tries a fenced write with the token, printing "accepted" or "refused". Ends at end of input.
using System.Globalization;
using Latchkey;
using Latchkey.Conformance.Worker;

using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
switch (args)
{
    case ["count", var connectionString, var name, var iterationsText, var dir]:
        await CountAsync(connectionString, name, int.Parse(iterationsText, CultureInfo.InvariantCulture), dir, deadline.Token);
        return 0;
    case ["hold", var connectionString, var name, var fenceFile, var ttl]:
        await HoldAsync(connectionString, name, fenceFile, LockConnectionString.ParseDuration(ttl), deadline.Token);
        return 0;
    default:
        Console.Error.WriteLine("usage: worker count CONNECTION_STRING LOCK_NAME ITERATIONS DIR | worker hold CONNECTION_STRING LOCK_NAME FENCE_FILE TTL");
        return 64;
}

static async Task CountAsync(string connectionString, string name, int iterations, string dir, CancellationToken cancellationToken)
{
    var journal = Path.Combine(dir, "journal");
    var counter = Path.Combine(dir, "counter");
    var pid = Environment.ProcessId;
    await using var provider = LockProvider.Connect(connectionString);
    var theLock = provider.CreateLock(name);
    for (var i = 0; i < iterations; i++)
    {
        await using var handle = await theLock.AcquireAsync(cancellationToken: cancellationToken);
        await File.AppendAllTextAsync(journal, $"enter {pid} {handle.FencingToken}\n", cancellationToken);
        var text = File.Exists(counter) ? await File.ReadAllTextAsync(counter, cancellationToken) : "0";
        var value = text.Length == 0 ? 0 : long.Parse(text, CultureInfo.InvariantCulture);
        await Task.Yield();
        await File.WriteAllTextAsync(counter, (value + 1).ToString(CultureInfo.InvariantCulture), cancellationToken);
        await File.AppendAllTextAsync(journal, $"exit {pid} {handle.FencingToken}\n", cancellationToken);
    }
}

static async Task HoldAsync(string connectionString, string name, string fenceFile, TimeSpan ttl, CancellationToken cancellationToken)
{
    await using var provider = LockProvider.Connect(connectionString);
    await using var handle = await provider.CreateLock(name, new LockOptions { Ttl = ttl }).AcquireAsync(cancellationToken: cancellationToken);
    Console.WriteLine($"held {handle.FencingToken}");
    while (await Console.In.ReadLineAsync(cancellationToken) is { } command)
    {
        if (command == "await-lost")
        {
            // Bounded: a holder whose lease is gone must learn it within a few renewal periods.
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(handle.Lost, cancellationToken);
            bound.CancelAfter(TimeSpan.FromSeconds(30));
            await Task.Delay(Timeout.InfiniteTimeSpan, bound.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            Console.WriteLine($"lost {handle.Lost.IsCancellationRequested}");
            continue;
        }

        Console.WriteLine($"lost {handle.Lost.IsCancellationRequested}");
        var accepted = await FencedResource.TryWriteAsync(fenceFile, handle.FencingToken, cancellationToken);
        Console.WriteLine(accepted ? "accepted" : "refused");
    }
}
