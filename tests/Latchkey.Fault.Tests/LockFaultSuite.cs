using System.Diagnostics;
using Latchkey.Conformance;
using Latchkey.Conformance.Worker;

namespace Latchkey.Fault.Tests;

/// <summary>
/// Crash, pause and partition, written once and run against each backend that has leases. A subclass
/// says where its server is and how to reach it through another address (the test's proxy).
/// </summary>
public abstract class LockFaultSuite : IAsyncLifetime
{
    private readonly List<ILockProvider> _providers = [];
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("latchkey-fault-");

    /// <summary>The TTL (or session timeout) the tests use: short, so that expiry is quick.</summary>
    protected virtual TimeSpan Ttl => TimeSpan.FromSeconds(3);

    /// <summary>Bound of any one wait.</summary>
    protected virtual TimeSpan Patience => TimeSpan.FromSeconds(30);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>host:port of the one server the tests talk to.</summary>
    protected abstract string ServerHostPort { get; }

    /// <summary>A connection string to <paramref name="hostPort"/> whose leases last <see cref="Ttl"/>.</summary>
    protected abstract string ConnectionStringFor(string hostPort);

    public ValueTask InitializeAsync() => default;

    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        _dir.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Partition_HolderIsToldLostBeforeAnotherHolderAcquires()
    {
        var name = $"fault-{Guid.NewGuid():N}";
        await using var proxy = new LoopbackProxy(LoopbackProxy.ParseHostPort(ServerHostPort));
        var cutOff = Provider(ConnectionStringFor(proxy.Address));
        var other = Provider(ConnectionStringFor(ServerHostPort));
        var held = await cutOff.CreateLock(name, Options).AcquireAsync(Patience, Ct);
        var lostAt = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        held.Lost.Register(() => lostAt.TrySetResult(Stopwatch.GetTimestamp()));

        proxy.Blackhole();
        await using var next = await other.CreateLock(name, Options).AcquireAsync(Patience, Ct);
        var acquiredAt = Stopwatch.GetTimestamp();
        var lost = await lostAt.Task.WaitAsync(Patience, Ct);
        Assert.True(lost <= acquiredAt, $"Lost fired {Stopwatch.GetElapsedTime(acquiredAt, lost).TotalMilliseconds:F0} ms after another holder acquired.");
        Assert.True(next.FencingToken > held.FencingToken);
    }

    [Fact]
    public async Task Partition_Healed_ProviderAcquiresAgainWithNewerToken()
    {
        var name = $"fault-{Guid.NewGuid():N}";
        await using var proxy = new LoopbackProxy(LoopbackProxy.ParseHostPort(ServerHostPort));
        var cutOff = Provider(ConnectionStringFor(proxy.Address));
        var held = await cutOff.CreateLock(name, Options).AcquireAsync(Patience, Ct);
        proxy.Blackhole();
        await Task.Delay(Timeout.InfiniteTimeSpan, held.Lost).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(Patience, Ct);
        proxy.Heal();
        await held.ReleaseAsync().AsTask().ContinueWith(_ => { }, TaskScheduler.Default);
        await using var again = await cutOff.CreateLock(name, Options).AcquireAsync(Patience, Ct);
        Assert.True(again.FencingToken > held.FencingToken, $"{again.FencingToken} after {held.FencingToken}");
        Assert.False(again.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task ServerStopsAnswering_DisposingTheHandleAndTheProvider_NeitherThrows()
    {
        var name = $"fault-{Guid.NewGuid():N}";
        await using var proxy = new LoopbackProxy(LoopbackProxy.ParseHostPort(ServerHostPort));
        var cutOff = LockProvider.Connect(ConnectionStringFor(proxy.Address));
        var held = await cutOff.CreateLock(name, Options).AcquireAsync(Patience, Ct);
        proxy.Blackhole();

        // The end of an `await using` block: it must not crash the app, however the release ends.
        await held.DisposeAsync().AsTask().WaitAsync(Patience, Ct);
        await cutOff.DisposeAsync().AsTask().WaitAsync(Patience, Ct);
    }

    [Fact]
    public async Task ResetPartition_Healed_TheCutOffProviderAcquiresWithinASecond()
    {
        var name = $"fault-{Guid.NewGuid():N}";
        await using var proxy = new LoopbackProxy(LoopbackProxy.ParseHostPort(ServerHostPort));
        var cutOff = Provider(ConnectionStringFor(proxy.Address));
        await (await cutOff.CreateLock(name, Options).AcquireAsync(Patience, Ct)).ReleaseAsync();

        // The link is reset for longer than a lease, and the client keeps trying meanwhile, as a busy service
        // would: whatever back-off its connection builds up must not outlast the heal by more than a second.
        proxy.Reset();
        var cutUntil = Stopwatch.GetTimestamp() + (long)((Ttl + TimeSpan.FromSeconds(1)).TotalSeconds * Stopwatch.Frequency);
        for (var attempt = 0; attempt < 400 && Stopwatch.GetTimestamp() < cutUntil; attempt++)
        {
            await TryOnceAsync(cutOff, name, TimeSpan.FromMilliseconds(250));
        }

        proxy.Heal();
        var healedAt = Stopwatch.GetTimestamp();
        ILockHandle? again = null;
        for (var attempt = 0; attempt < 300 && again is null && Stopwatch.GetElapsedTime(healedAt) < Patience; attempt++)
        {
            again = await TryOnceAsync(cutOff, name, TimeSpan.FromMilliseconds(250));
        }

        var recovery = Stopwatch.GetElapsedTime(healedAt);
        TestContext.Current.TestOutputHelper?.WriteLine($"acquired {recovery.TotalMilliseconds:F0} ms after the heal ({GetType().Name})");
        Assert.NotNull(again);
        await again.ReleaseAsync();
        Assert.True(recovery < TimeSpan.FromSeconds(1.5), $"The healed provider acquired only {recovery.TotalMilliseconds:F0} ms after the heal: its reconnect back-off, not the lock, kept it out.");
    }

    [Fact]
    public async Task HolderProcessKilled_WaiterAcquiresAfterTtl()
    {
        var name = $"fault-{Guid.NewGuid():N}";
        var fence = Path.Combine(_dir.FullName, "fence");
        await using var worker = WorkerProcess.StartHolding(ConnectionStringFor(ServerHostPort), name, fence, Ttl);
        var held = long.Parse((await worker.ReadLineAsync(Patience, Ct))["held ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        var waiting = Provider(ConnectionStringFor(ServerHostPort)).CreateLock(name, Options).AcquireAsync(Patience, Ct).AsTask();
        Assert.False(waiting.IsCompleted);
        worker.Kill();
        await using var next = await waiting;
        Assert.True(next.FencingToken > held, $"{next.FencingToken} after {held}");
    }

    [Fact]
    public async Task HolderProcessPausedPastTtl_IsToldLostAndItsStaleTokenIsRefused()
    {
        var name = $"fault-{Guid.NewGuid():N}";
        var fence = Path.Combine(_dir.FullName, "fence");
        await using var worker = WorkerProcess.StartHolding(ConnectionStringFor(ServerHostPort), name, fence, Ttl);
        var held = long.Parse((await worker.ReadLineAsync(Patience, Ct))["held ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        worker.Pause();
        await using var next = await Provider(ConnectionStringFor(ServerHostPort)).CreateLock(name, Options).AcquireAsync(Patience, Ct);
        Assert.True(next.FencingToken > held);
        Assert.True(await FencedResource.TryWriteAsync(fence, next.FencingToken, Ct));
        worker.Resume();
        await worker.SendAsync("write");
        _ = await worker.ReadLineAsync(Patience, Ct); // whether it had noticed yet, at the instant of resuming
        Assert.Equal("refused", await worker.ReadLineAsync(Patience, Ct));
        await worker.SendAsync("await-lost");
        Assert.Equal("lost True", await worker.ReadLineAsync(Patience, Ct));
    }

    private LockOptions Options => new() { Ttl = Ttl };

    /// <summary>One bounded attempt: the handle, or null when the backend refused, failed or did not answer in time.</summary>
    private async Task<ILockHandle?> TryOnceAsync(ILockProvider provider, string name, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await provider.CreateLock(name, Options).TryAcquireAsync(timeout, Ct);
        }
        catch (LockBackendUnavailableException)
        {
            // Paces the caller's loop: a client that fails at once is asked again 50 ms after it was last asked.
            var rest = TimeSpan.FromMilliseconds(50) - Stopwatch.GetElapsedTime(started);
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest, Ct);
            }

            return null;
        }
    }

    private ILockProvider Provider(string connectionString)
    {
        var provider = LockProvider.Connect(connectionString);
        _providers.Add(provider);
        return provider;
    }
}
