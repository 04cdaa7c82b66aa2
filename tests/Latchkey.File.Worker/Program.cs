// Child process for the file:// tests and measurements.
//   hold URI KIND NAME [PERMITS|VALUE]   acquire (lock, read, write, semaphore, election), print "held TOKEN",
//                                        then keep it until stdin closes or the process is killed.
//   journal URI KIND NAME ITERATIONS FILE [PERMITS]   acquire (read, write, semaphore) ITERATIONS times; write
//                                        "ENTERED_TS EXITED_TS" per section to FILE.PID (Stopwatch ticks, stamped
//                                        after the acquire returned and before the release began).
//   spawn-hold URI NAME                  acquire a lock, start `sleep 30` (which must not inherit the lock),
//                                        print "held TOKEN" and "child PID", keep it until stdin closes or killed.
//   cycles URI NAME SECONDS HOLD_US THINK_US   acquire/release in a loop (at least once); print "REQUESTED_TS ACQUIRED_TS RELEASED_TS" per
//                                        cycle (Stopwatch ticks: CLOCK_MONOTONIC, comparable across processes).
//   uncontended URI N                    time N acquire+release cycles of one lock; print median and p99 in µs.
//   kill-handoff URI RUNS                start a `hold` child, queue a waiter here, SIGKILL the child; print how long
//                                        the waiter took to acquire, and how long the child took to be reaped.
//   memory URI N                         hold N different locks; print managed bytes per held lock.
//   handoff URI PROCESSES SECONDS HOLD_US THINK_US   run PROCESSES `cycles` children on one lock and print
//                                        hand-off latency: a release to the acquire of another process
//                                        that was already waiting when the release began.
using System.Diagnostics;
using System.Globalization;
using Latchkey;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: see the comment at the top of Program.cs");
    return 64;
}

await using var provider = LockProvider.Connect(args[1]);
switch (args[0])
{
    case "hold":
        {
            var name = args[3];
            ILockHandle handle = args[2] switch
            {
                "lock" => await provider.CreateLock(name).AcquireAsync(),
                "read" => await provider.CreateReaderWriterLock(name).AcquireReadAsync(),
                "write" => await provider.CreateReaderWriterLock(name).AcquireWriteAsync(),
                "semaphore" => await provider.CreateSemaphore(name, int.Parse(args[4], CultureInfo.InvariantCulture)).AcquireAsync(),
                "election" => await provider.CreateElection(name).CampaignAsync(args.Length > 4 ? args[4] : "worker"),
                _ => throw new ArgumentException($"Unknown kind '{args[2]}'."),
            };
            Console.WriteLine($"held {handle.FencingToken}");
            await Console.In.ReadToEndAsync();
            await handle.ReleaseAsync();
            return 0;
        }

    case "journal":
        {
            var name = args[3];
            var iterations = int.Parse(args[4], CultureInfo.InvariantCulture);
            var rw = provider.CreateReaderWriterLock(name);
            var semaphore = args[2] == "semaphore" ? provider.CreateSemaphore(name, int.Parse(args[6], CultureInfo.InvariantCulture)) : null;
            var sections = new List<string>();
            for (var i = 0; i < iterations; i++)
            {
                await using var handle = args[2] switch
                {
                    "read" => await rw.AcquireReadAsync(TimeSpan.FromMinutes(1)),
                    "write" => await rw.AcquireWriteAsync(TimeSpan.FromMinutes(1)),
                    _ => await semaphore!.AcquireAsync(TimeSpan.FromMinutes(1)),
                };
                var entered = Stopwatch.GetTimestamp();
                Spin(TimeSpan.FromMicroseconds(200));
                sections.Add($"{entered} {Stopwatch.GetTimestamp()}");
            }

            await System.IO.File.WriteAllLinesAsync($"{args[5]}.{Environment.ProcessId}", sections);
            return 0;
        }

    case "spawn-hold":
        {
            var handle = await provider.CreateLock(args[2]).AcquireAsync();
            using var sleeper = Process.Start("sleep", "30");
            Console.WriteLine($"held {handle.FencingToken}");
            Console.WriteLine($"child {sleeper.Id}");
            await Console.In.ReadToEndAsync();
            sleeper.Kill();
            return 0;
        }

    case "cycles":
        {
            var theLock = provider.CreateLock(args[2]);
            var duration = TimeSpan.FromSeconds(double.Parse(args[3], CultureInfo.InvariantCulture));
            var hold = TimeSpan.FromMicroseconds(double.Parse(args[4], CultureInfo.InvariantCulture));
            var think = TimeSpan.FromMicroseconds(double.Parse(args[5], CultureInfo.InvariantCulture));
            var lines = new List<string>();
            var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            do
            {
                var requested = Stopwatch.GetTimestamp();
                var handle = await theLock.AcquireAsync(TimeSpan.FromSeconds(30));
                var acquired = Stopwatch.GetTimestamp();
                Spin(hold);
                var released = Stopwatch.GetTimestamp();
                await handle.ReleaseAsync();
                lines.Add($"{requested} {acquired} {released}");
                Spin(think);
            }
            while (Stopwatch.GetTimestamp() < end);

            Console.Out.Write(string.Join('\n', lines) + "\n");
            return 0;
        }

    case "uncontended":
        {
            var n = int.Parse(args[2], CultureInfo.InvariantCulture);
            var theLock = provider.CreateLock("uncontended-" + Environment.ProcessId);
            for (var i = 0; i < 1000; i++)
            {
                await (await theLock.AcquireAsync()).ReleaseAsync();
            }

            var samples = new double[n];
            for (var i = 0; i < n; i++)
            {
                var start = Stopwatch.GetTimestamp();
                var handle = await theLock.AcquireAsync();
                await handle.ReleaseAsync();
                samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }

            Array.Sort(samples);
            Console.WriteLine(FormattableString.Invariant($"uncontended acquire+release over {n} cycles: median {samples[n / 2]:F1} µs, p99 {samples[n * 99 / 100]:F1} µs"));
            return 0;
        }

    case "kill-handoff":
        {
            var runs = int.Parse(args[2], CultureInfo.InvariantCulture);
            var acquiredAfter = new List<double>();
            var reapedAfter = new List<double>();
            for (var run = 0; run < runs; run++)
            {
                var name = $"kill-{Environment.ProcessId}-{run}";
                var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardInput = true };
                foreach (var arg in new[] { typeof(ILockProvider).Assembly.Location.Replace("Latchkey.dll", "Latchkey.File.Worker.dll", StringComparison.Ordinal), "hold", args[1], "lock", name })
                {
                    start.ArgumentList.Add(arg);
                }

                using var holder = Process.Start(start)!;
                await holder.StandardOutput.ReadLineAsync();
                var waiting = provider.CreateLock(name).AcquireAsync(TimeSpan.FromSeconds(30)).AsTask();
                while ((await provider.GetStatusAsync(LockKind.Lock, name)).Waiters.Count == 0)
                {
                    await Task.Delay(1);
                }

                var killed = Stopwatch.GetTimestamp();
                holder.Kill();
                var reaped = holder.WaitForExitAsync().ContinueWith(_ => Stopwatch.GetTimestamp(), TaskScheduler.Default);
                await using var handle = await waiting;
                acquiredAfter.Add(Stopwatch.GetElapsedTime(killed).TotalMilliseconds);
                reapedAfter.Add(Stopwatch.GetElapsedTime(killed, await reaped).TotalMilliseconds);
            }

            acquiredAfter.Sort();
            reapedAfter.Sort();
            Console.WriteLine(FormattableString.Invariant($"SIGKILL -> waiter acquired (ms): {string.Join(' ', acquiredAfter.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)))}"));
            Console.WriteLine(FormattableString.Invariant($"SIGKILL -> holder reaped   (ms): {string.Join(' ', reapedAfter.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)))}"));
            return 0;
        }

    case "memory":
        {
            var n = int.Parse(args[2], CultureInfo.InvariantCulture);
            var locks = Enumerable.Range(0, n).Select(i => provider.CreateLock($"memory-{Environment.ProcessId}-{i}")).ToList();
            await (await provider.CreateLock("warm-up").AcquireAsync()).ReleaseAsync();
            var before = GC.GetTotalMemory(forceFullCollection: true);
            var handles = new List<ILockHandle>(n);
            foreach (var theLock in locks)
            {
                handles.Add(await theLock.AcquireAsync());
            }

            var after = GC.GetTotalMemory(forceFullCollection: true);
            Console.WriteLine(FormattableString.Invariant($"{n} held locks: {(after - before) / (double)n:F0} managed bytes each (lock objects created beforehand)"));
            foreach (var handle in handles)
            {
                await handle.ReleaseAsync();
            }

            return 0;
        }

    case "handoff":
        {
            var processes = int.Parse(args[2], CultureInfo.InvariantCulture);
            var name = "handoff-" + Environment.ProcessId;
            var children = Enumerable.Range(0, processes).Select(_ =>
            {
                var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true };
                foreach (var arg in new[] { typeof(ILockProvider).Assembly.Location.Replace("Latchkey.dll", "Latchkey.File.Worker.dll", StringComparison.Ordinal), "cycles", args[1], name, args[3], args[4], args[5] })
                {
                    start.ArgumentList.Add(arg);
                }

                return Process.Start(start)!;
            }).ToList();
            var outputs = await Task.WhenAll(children.Select(c => c.StandardOutput.ReadToEndAsync()));
            var cycles = outputs
                .SelectMany((text, process) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Select(line => line.Split(' ').Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray())
                    .Select(t => (Process: process, Requested: t[0], Acquired: t[1], Released: t[2])))
                .OrderBy(c => c.Acquired)
                .ToList();
            var handoffs = new List<double>();
            for (var i = 1; i < cycles.Count; i++)
            {
                if (cycles[i].Process != cycles[i - 1].Process && cycles[i].Requested < cycles[i - 1].Released)
                {
                    handoffs.Add((cycles[i].Acquired - cycles[i - 1].Released) * 1e6 / Stopwatch.Frequency);
                }
            }

            handoffs.Sort();
            double At(double q) => handoffs[Math.Min(handoffs.Count - 1, (int)(q * handoffs.Count))];
            Console.WriteLine(FormattableString.Invariant($"{cycles.Count} cycles, {handoffs.Count} hand-offs between processes: p50 {At(0.5):F0} µs, p90 {At(0.9):F0} µs, p99 {At(0.99):F0} µs, max {handoffs[^1]:F0} µs"));
            return 0;
        }

    default:
        Console.Error.WriteLine($"Unknown command '{args[0]}'.");
        return 64;
}

static void Spin(TimeSpan span)
{
    if (span <= TimeSpan.Zero)
    {
        return;
    }

    var end = Stopwatch.GetTimestamp() + (long)(span.TotalSeconds * Stopwatch.Frequency);
    while (Stopwatch.GetTimestamp() < end)
    {
        Thread.SpinWait(20);
    }
}
