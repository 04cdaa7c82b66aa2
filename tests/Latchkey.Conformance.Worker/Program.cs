// Worker for the multi-process conformance tests:
//   worker CONNECTION_STRING LOCK_NAME ITERATIONS DIR
// Each iteration: acquire, append "enter PID TOKEN" to DIR/journal, read-modify-write DIR/counter
// (a non-atomic increment that only mutual exclusion keeps exact), append "exit PID TOKEN", release.
using System.Globalization;
using Latchkey;

if (args.Length != 4)
{
    Console.Error.WriteLine("usage: worker CONNECTION_STRING LOCK_NAME ITERATIONS DIR");
    return 64;
}

var iterations = int.Parse(args[2], CultureInfo.InvariantCulture);
var journal = Path.Combine(args[3], "journal");
var counter = Path.Combine(args[3], "counter");
var pid = Environment.ProcessId;
await using var provider = LockProvider.Connect(args[0]);
var theLock = provider.CreateLock(args[1]);
using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
for (var i = 0; i < iterations; i++)
{
    await using var handle = await theLock.AcquireAsync(cancellationToken: deadline.Token);
    await File.AppendAllTextAsync(journal, $"enter {pid} {handle.FencingToken}\n", deadline.Token);
    var text = File.Exists(counter) ? await File.ReadAllTextAsync(counter, deadline.Token) : "0";
    var value = text.Length == 0 ? 0 : long.Parse(text, CultureInfo.InvariantCulture);
    await Task.Yield();
    await File.WriteAllTextAsync(counter, (value + 1).ToString(CultureInfo.InvariantCulture), deadline.Token);
    await File.AppendAllTextAsync(journal, $"exit {pid} {handle.FencingToken}\n", deadline.Token);
}

return 0;
