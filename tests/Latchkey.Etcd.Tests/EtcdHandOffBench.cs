using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Grpc.Net.Client;
using Latchkey.Etcd.Protocol;
using Latchkey.Etcd.Protocol.V3Lock;

namespace Latchkey.Etcd.Tests;

/// <summary>
/// A rough hand-off measurement, not a test: skipped unless LATCHKEY_ETCD_BENCH=1. Eight contenders, each
/// with its own provider, on one lock, holding it ~1 ms; reports cycles/s and the hand-off latency (from
/// the holder starting its release to the next holder's acquire returning), then the same workload on
/// etcd's server-side lock (the v3lock RPC, the Go Mutex's code on the server) and the raw Put+Delete rate.
/// Run: LATCHKEY_ETCD_BENCH=1 dotnet run --project tests/Latchkey.Etcd.Tests -- -class "*EtcdHandOffBench" -showliveoutput
/// </summary>
public sealed class EtcdHandOffBench
{
    private const int Contenders = 8;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Hold = TimeSpan.FromMilliseconds(1);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HandOff_EightContendersOnOneLock()
    {
        Assert.SkipUnless(Environment.GetEnvironmentVariable("LATCHKEY_ETCD_BENCH") == "1", "A measurement, not a test: set LATCHKEY_ETCD_BENCH=1.");
        using var probe = new EtcdProbe();
        var prefix = EtcdProbe.NewPrefix();
        var providers = Enumerable.Range(0, Contenders).Select(_ => LockProvider.Connect(probe.For(prefix, 10))).ToList();
        try
        {
            foreach (var provider in providers)
            {
                await (await provider.CreateLock("warm-" + Guid.NewGuid().ToString("N")).AcquireAsync(cancellationToken: Ct)).ReleaseAsync();
            }

            var latchkey = await RunAsync(providers.Select<ILockProvider, Func<Task<Func<Task>>>>(p =>
            {
                var theLock = p.CreateLock("bench");
                return async () =>
                {
                    var handle = await theLock.AcquireAsync(TimeSpan.FromSeconds(30), Ct);
                    return async () => await handle.ReleaseAsync();
                };
            }).ToList());
            Report("latchkey", latchkey);

            using var channel = GrpcChannel.ForAddress("http://" + probe.HostPort);
            var lockClient = new Protocol.V3Lock.Lock.LockClient(channel);
            var leases = new List<long>();
            for (var i = 0; i < Contenders; i++)
            {
                leases.Add((await probe.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 30 }, cancellationToken: Ct)).ID);
            }

            var name = ByteString.CopyFromUtf8(prefix + "/v3lock/bench");
            try
            {
                var v3lock = await RunAsync(leases.Select<long, Func<Task<Func<Task>>>>(lease => async () =>
                {
                    var key = (await lockClient.LockAsync(new LockRequest { Name = name, Lease = lease }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: Ct)).Key;
                    return async () => await lockClient.UnlockAsync(new UnlockRequest { Key = key }, cancellationToken: Ct);
                }).ToList());
                Report("v3lock", v3lock);
            }
            catch (Grpc.Core.RpcException ex)
            {
                // Seen here under heavy load: a server-side Lock that never returns. Reported, not hidden.
                TestContext.Current.TestOutputHelper?.WriteLine($"v3lock: a Lock call failed after 30 s: {ex.Status}");
            }

            var pairs = 0L;
            var stop = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, Contenders).Select(i => Task.Run(
                async () =>
                {
                    var key = ByteString.CopyFromUtf8($"{prefix}/raw/{i}");
                    while (stop.Elapsed < Duration)
                    {
                        await probe.Kv.PutAsync(new PutRequest { Key = key }, cancellationToken: Ct);
                        await probe.Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = key }, cancellationToken: Ct);
                        Interlocked.Increment(ref pairs);
                    }
                },
                Ct)));
            TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"raw put+delete pairs, {Contenders} concurrent: {pairs / Duration.TotalSeconds:F0}/s"));
            foreach (var lease in leases)
            {
                try
                {
                    await probe.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, cancellationToken: Ct);
                }
                catch (Grpc.Core.RpcException ex) when (ex.StatusCode == Grpc.Core.StatusCode.NotFound)
                {
                    // Expired already (a stalled v3lock run outlasts its TTL).
                }
            }
        }
        finally
        {
            foreach (var provider in providers)
            {
                await provider.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task TenThousandHeldLocks_OneLease_Memory()
    {
        Assert.SkipUnless(Environment.GetEnvironmentVariable("LATCHKEY_ETCD_BENCH") == "1", "A measurement, not a test: set LATCHKEY_ETCD_BENCH=1.");
        using var probe = new EtcdProbe();
        var baseline = await HoldTenThousandAsync(LockProvider.Connect("memory://bench-" + Guid.NewGuid().ToString("N")));
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"the same on memory:// (the core's handles and names): {baseline / 1024.0 / 1024.0:F1} MB"));
        await HoldTenThousandAsync(LockProvider.Connect(probe.For(EtcdProbe.NewPrefix(), 30)));
    }

    private static async Task<long> HoldTenThousandAsync(ILockProvider lockProvider)
    {
        await using var provider = lockProvider;
        await (await provider.CreateLock("warm").AcquireAsync(cancellationToken: Ct)).ReleaseAsync();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        var handles = new ILockHandle[10_000];
        var gate = new SemaphoreSlim(64);
        await Task.WhenAll(Enumerable.Range(0, handles.Length).Select(async i =>
        {
            await gate.WaitAsync(Ct);
            try
            {
                handles[i] = await provider.CreateLock("held-" + i.ToString(CultureInfo.InvariantCulture)).AcquireAsync(cancellationToken: Ct);
            }
            finally
            {
                gate.Release();
            }
        }));
        var took = clock.Elapsed;
        var after = GC.GetTotalMemory(forceFullCollection: true);
        if (((LockProvider)provider).Backend is EtcdLockBackend backend)
        {
            TestContext.Current.TestOutputHelper?.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"10,000 locks held by one provider: {(after - before) / 1024.0 / 1024.0:F1} MB managed heap, {backend.Leases.GrantCount} lease(s), acquired in {took.TotalSeconds:F1} s with 64 in flight"));
            Assert.Equal(1, backend.Leases.GrantCount);
        }

        foreach (var handle in handles)
        {
            await handle.ReleaseAsync();
        }

        return after - before;
    }

    private static async Task<(long Cycles, List<double> HandOffs)> RunAsync(IReadOnlyList<Func<Task<Func<Task>>>> contenders)
    {
        var clock = Stopwatch.StartNew();
        var cycles = 0L;
        var releasedAt = 0L;
        var handOffs = new List<double>();
        await Task.WhenAll(contenders.Select(acquire => Task.Run(
            async () =>
            {
                while (clock.Elapsed < Duration)
                {
                    var release = await acquire();
                    var now = Stopwatch.GetTimestamp();
                    var previous = Interlocked.Exchange(ref releasedAt, 0);
                    if (previous != 0)
                    {
                        lock (handOffs)
                        {
                            handOffs.Add(Stopwatch.GetElapsedTime(previous, now).TotalMilliseconds);
                        }
                    }

                    var spin = Stopwatch.StartNew();
                    while (spin.Elapsed < Hold)
                    {
                        Thread.SpinWait(50);
                    }

                    Interlocked.Increment(ref cycles);
                    Volatile.Write(ref releasedAt, Stopwatch.GetTimestamp());
                    await release();
                }
            },
            Ct)));
        return (cycles, handOffs);
    }

    private static void Report(string what, (long Cycles, List<double> HandOffs) result)
    {
        var sorted = result.HandOffs.Order().ToList();
        double At(double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{what}: {Contenders} contenders, 1 lock, {Hold.TotalMilliseconds} ms hold: {result.Cycles / Duration.TotalSeconds:F0} cycles/s, hand-off p50 {At(0.5):F2} ms, p90 {At(0.9):F2} ms, p99 {At(0.99):F2} ms (n={sorted.Count})"));
    }
}
