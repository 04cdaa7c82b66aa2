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

    private ILockProvider Provider(string connectionString)
    {
        var provider = LockProvider.Connect(connectionString);
        _providers.Add(provider);
        return provider;
    }
}
