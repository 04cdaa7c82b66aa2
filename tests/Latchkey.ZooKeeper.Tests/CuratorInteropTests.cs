using Latchkey.Conformance;
using Latchkey.ZooKeeper.Client;

namespace Latchkey.ZooKeeper.Tests;

/// <summary>
/// <c>layout=curator</c>: a Latchkey lock and Apache Curator's <c>InterProcessMutex</c> (and reader-writer lock) on
/// the same path are one lock. Curator runs in a JVM of its own (<see cref="CuratorPeer"/>); each test works under
/// a fresh chroot, which both sides are given.
/// </summary>
public sealed class CuratorInteropTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly string _root = ZooKeeperServer.UniqueRoot();
    private readonly string _name = "job-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<IAsyncDisposable> _owned = [];
    private ZooKeeperClient? _raw;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _ = ZooKeeperServer.ConnectionString();
        _raw = await ZooKeeperServer.ConnectAsync();
        await _raw.CreateAsync(_root, default, CreateMode.Persistent, cancellationToken: Ct);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }

        if (_raw is not null)
        {
            await ZooKeeperServer.DeleteTreeAsync(_raw, _root);
            await _raw.DisposeAsync();
        }
    }

    [Fact]
    public async Task JavaHolder_ExcludesADotNetWaiter_UntilItReleases()
    {
        var java = await StartJavaAsync();
        var locks = Connect();
        await java.SendAsync("acquire");
        await java.ExpectAsync("acquired");

        Assert.Null(await locks.CreateLock(_name).TryAcquireAsync(cancellationToken: Ct));
        var waiting = locks.CreateLock(_name).AcquireAsync(Patience, Ct).AsTask();
        var queue = await WaitForQueueAsync(2);
        Assert.Matches("^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-lock-[0-9]{10}$", queue[1]);
        Assert.False(waiting.IsCompleted);

        await java.SendAsync("release");
        await java.ExpectAsync("released");
        await using var held = await waiting.WaitAsync(Patience, Ct);
        Assert.True(held.FencingToken > 0);
    }

    [Fact]
    public async Task DotNetHolder_ExcludesAJavaWaiter_UntilItReleases()
    {
        var locks = Connect();
        var java = await StartJavaAsync();
        var held = await locks.CreateLock(_name).AcquireAsync(cancellationToken: Ct);

        await java.SendAsync("acquire");
        await WaitForQueueAsync(2);
        Assert.False(java.HasSpoken, "Curator acquired a lock Latchkey holds.");

        await held.ReleaseAsync();
        await java.ExpectAsync("acquired");
        Assert.Null(await locks.CreateLock(_name).TryAcquireAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task Waiters_FromBothSides_AreServedInArrivalOrder()
    {
        var locks = Connect();
        var first = await StartJavaAsync();
        var third = await StartJavaAsync();
        await first.SendAsync("acquire");
        await first.ExpectAsync("acquired");
        var second = locks.CreateLock(_name).AcquireAsync(Patience, Ct).AsTask();
        await WaitForQueueAsync(2);
        await third.SendAsync("acquire");
        await WaitForQueueAsync(3);
        var fourth = locks.CreateLock(_name).AcquireAsync(Patience, Ct).AsTask();
        await WaitForQueueAsync(4);

        await first.SendAsync("release");
        var secondHeld = await second.WaitAsync(Patience, Ct);
        Assert.False(third.HasSpoken);
        Assert.False(fourth.IsCompleted);

        await secondHeld.ReleaseAsync();
        await third.ExpectAsync("acquired");
        Assert.False(fourth.IsCompleted);

        await third.SendAsync("release");
        await third.ExpectAsync("released");
        await using var fourthHeld = await fourth.WaitAsync(Patience, Ct);
    }

    [Fact]
    public async Task KilledJavaHolder_PassesTheLockToTheDotNetWaiter()
    {
        var java = await StartJavaAsync();
        var locks = Connect();
        await java.SendAsync("acquire");
        await java.ExpectAsync("acquired");
        var waiting = locks.CreateLock(_name).AcquireAsync(Patience, Ct).AsTask();
        await WaitForQueueAsync(2);

        java.Kill(); // Its session (4 s) expires on the server, and its node with it.
        await using var held = await waiting.WaitAsync(Patience, Ct);
        Assert.Single(await WaitForQueueAsync(1));
    }

    [Fact]
    public async Task DeadDotNetHolder_PassesTheLockToTheJavaWaiter()
    {
        await using var proxy = new LoopbackProxy(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, ZooKeeperServer.Options().Hosts[0].Port));
        await using var holder = LockProvider.Connect($"zk://{proxy.Address}{_root}?layout=curator&sessionTimeout=2s");
        var java = await StartJavaAsync();
        var held = await holder.CreateLock(_name).AcquireAsync(cancellationToken: Ct);
        await java.SendAsync("acquire");
        await WaitForQueueAsync(2);

        proxy.Blackhole(); // As a killed process: no word to the server, which expires the session.
        await java.ExpectAsync("acquired");
        Assert.True(held.Lost.IsCancellationRequested, "Latchkey's Lost must fire before Curator can hold the lock.");
    }

    [Fact]
    public async Task ReaderWriter_SharesWithCuratorReaders_AndExcludesCuratorWriters()
    {
        var locks = Connect();
        var javaReader = await StartJavaAsync("read");
        await javaReader.SendAsync("acquire");
        await javaReader.ExpectAsync("acquired");

        await using (var read = await locks.CreateReaderWriterLock(_name).TryAcquireReadAsync(cancellationToken: Ct))
        {
            Assert.NotNull(read);
            Assert.Null(await locks.CreateReaderWriterLock(_name).TryAcquireWriteAsync(cancellationToken: Ct));
        }

        await javaReader.SendAsync("release");
        await javaReader.ExpectAsync("released");

        var write = await locks.CreateReaderWriterLock(_name).AcquireWriteAsync(cancellationToken: Ct);
        var javaWriter = await StartJavaAsync("write");
        await javaWriter.SendAsync("acquire");
        var queue = await WaitForQueueAsync(2);
        Assert.EndsWith("__WRIT__", queue[0][..^10], StringComparison.Ordinal);
        Assert.False(javaWriter.HasSpoken);
        await write.ReleaseAsync();
        await javaWriter.ExpectAsync("acquired");
        Assert.Null(await locks.CreateReaderWriterLock(_name).TryAcquireReadAsync(cancellationToken: Ct));
    }

    private ILockProvider Connect()
    {
        var provider = LockProvider.Connect($"{ZooKeeperServer.ConnectionString()}{_root}?layout=curator");
        _owned.Add(provider);
        return provider;
    }

    private async Task<CuratorPeer> StartJavaAsync(string recipe = "mutex")
    {
        var peer = await CuratorPeer.StartAsync(ZooKeeperServer.HostList() + _root, "/" + _name, recipe);
        _owned.Add(peer);
        return peer;
    }

    /// <summary>The lock's nodes, oldest first, once there are <paramref name="count"/> of them (woken by a children watch).</summary>
    private async Task<List<string>> WaitForQueueAsync(int count)
    {
        var path = $"{_root}/{_name}";
        while (true)
        {
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            IReadOnlyList<string> children;
            try
            {
                children = (await _raw!.GetChildrenAsync(path, _ => changed.TrySetResult(), Ct)).Children;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                await _raw!.ExistsAsync(path, _ => changed.TrySetResult(), Ct);
                children = [];
            }

            if (children.Count == count)
            {
                return [.. children.Order(Comparer<string>.Create((a, b) => string.CompareOrdinal(a[^10..], b[^10..])))];
            }

            await changed.Task.WaitAsync(Patience, Ct);
        }
    }
}
