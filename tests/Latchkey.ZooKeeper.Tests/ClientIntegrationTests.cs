using System.Text;
using Latchkey.ZooKeeper.Client;

namespace Latchkey.ZooKeeper.Tests;

public sealed class ClientIntegrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Operations_RoundTripAgainstTheServer()
    {
        await using var client = await ZooKeeperServer.ConnectAsync();
        var root = ZooKeeperServer.UniqueRoot();
        try
        {
            var created = await client.CreateAsync(root, Encoding.UTF8.GetBytes("hello"), CreateMode.Persistent, cancellationToken: Ct);
            Assert.Equal(root, created.Path);
            Assert.True(created.Stat.Czxid > 0);

            var data = await client.GetDataAsync(root, cancellationToken: Ct);
            Assert.Equal("hello", Encoding.UTF8.GetString(data.Data));
            Assert.Equal(created.Stat.Czxid, data.Stat.Czxid);

            var stat = await client.SetDataAsync(root, Encoding.UTF8.GetBytes("bye"), 0, Ct);
            Assert.Equal(1, stat.Version);
            await ZooKeeperAssert.ThrowsAsync(ZooKeeperErrorCode.BadVersion, () => client.SetDataAsync(root, Array.Empty<byte>(), 0, Ct));

            var seq1 = await client.CreateAsync(root + "/n-", default, CreateMode.EphemeralSequential, cancellationToken: Ct);
            var seq2 = await client.CreateAsync(root + "/n-", default, CreateMode.EphemeralSequential, cancellationToken: Ct);
            Assert.Matches(@"/n-\d{10}$", seq1.Path);
            Assert.True(seq2.Stat.Czxid > seq1.Stat.Czxid);
            Assert.Equal(client.SessionId, seq1.Stat.EphemeralOwner);

            var children = await client.GetChildrenAsync(root, cancellationToken: Ct);
            Assert.Equal(2, children.Children.Count);
            Assert.Equal(2, children.Stat.NumChildren);

            await ZooKeeperAssert.ThrowsAsync(ZooKeeperErrorCode.NodeExists, () => client.CreateAsync(root, default, CreateMode.Persistent, cancellationToken: Ct));
            await ZooKeeperAssert.ThrowsAsync(ZooKeeperErrorCode.NotEmpty, () => client.DeleteAsync(root, cancellationToken: Ct));
            await ZooKeeperAssert.ThrowsAsync(ZooKeeperErrorCode.NoNode, () => client.GetDataAsync(root + "/missing", cancellationToken: Ct));
            Assert.Null(await client.ExistsAsync(root + "/missing", cancellationToken: Ct));

            await client.DeleteAsync(seq1.Path, cancellationToken: Ct);
            Assert.Null(await client.ExistsAsync(seq1.Path, cancellationToken: Ct));
        }
        finally
        {
            await ZooKeeperServer.DeleteTreeAsync(client, root);
        }
    }

    [Fact]
    public async Task Pipelined_RequestsAreMatchedToTheirReplies()
    {
        await using var client = await ZooKeeperServer.ConnectAsync();
        var root = ZooKeeperServer.UniqueRoot();
        try
        {
            await client.CreateAsync(root, default, CreateMode.Persistent, cancellationToken: Ct);
            var creates = Enumerable.Range(0, 200).Select(i => client.CreateAsync($"{root}/c{i}", Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), CreateMode.Ephemeral, cancellationToken: Ct)).ToList();
            await Task.WhenAll(creates);
            var reads = Enumerable.Range(0, 200).Select(i => client.GetDataAsync($"{root}/c{i}", cancellationToken: Ct)).ToList();
            var results = await Task.WhenAll(reads);
            for (var i = 0; i < 200; i++)
            {
                Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.UTF8.GetString(results[i].Data));
            }
        }
        finally
        {
            await ZooKeeperServer.DeleteTreeAsync(client, root);
        }
    }

    [Fact]
    public async Task Watch_FiresOnceOnDelete()
    {
        await using var client = await ZooKeeperServer.ConnectAsync();
        await using var other = await ZooKeeperServer.ConnectAsync();
        var root = ZooKeeperServer.UniqueRoot();
        try
        {
            await client.CreateAsync(root, default, CreateMode.Persistent, cancellationToken: Ct);
            var fired = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            var count = 0;
            await client.GetDataAsync(root, e => { Interlocked.Increment(ref count); fired.TrySetResult(e); }, Ct);
            await other.DeleteAsync(root, cancellationToken: Ct);
            var e = await fired.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
            Assert.Equal(WatchedEventType.NodeDeleted, e.Type);
            Assert.Equal(root, e.Path);
            Assert.Equal(0, client.WatchCount);
            Assert.Equal(1, count);
        }
        finally
        {
            await ZooKeeperServer.DeleteTreeAsync(client, root);
        }
    }

    [Fact]
    public async Task RemoveWatcherAsync_RemovesTheServersWatchOnlyWhenNoOtherWatcherNeedsIt()
    {
        await using var client = await ZooKeeperServer.ConnectAsync();
        var root = ZooKeeperServer.UniqueRoot();
        try
        {
            await client.CreateAsync(root, default, CreateMode.Persistent, cancellationToken: Ct);
            Action<WatchedEvent> first = _ => { };
            Action<WatchedEvent> second = _ => { };
            await client.GetDataAsync(root, first, Ct);
            await client.ExistsAsync(root, second, Ct);
            Assert.True(await client.RemoveWatcherAsync(root, first, Ct));
            Assert.Equal(0, client.ServerWatchRemovals); // The other watcher still needs it.
            Assert.True(await client.RemoveWatcherAsync(root, second, Ct));
            Assert.Equal(1, client.ServerWatchRemovals);
            Assert.False(await client.RemoveWatcherAsync(root, second, Ct));
            Assert.Equal(0, client.WatchCount);
        }
        finally
        {
            await ZooKeeperServer.DeleteTreeAsync(client, root);
        }
    }

    [Fact]
    public async Task ExistsWatch_OnMissingNode_FiresOnCreate()
    {
        await using var client = await ZooKeeperServer.ConnectAsync();
        var root = ZooKeeperServer.UniqueRoot();
        try
        {
            var fired = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            Assert.Null(await client.ExistsAsync(root, e => fired.TrySetResult(e), Ct));
            await client.CreateAsync(root, default, CreateMode.Persistent, cancellationToken: Ct);
            var e = await fired.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
            Assert.Equal(WatchedEventType.NodeCreated, e.Type);
        }
        finally
        {
            await ZooKeeperServer.DeleteTreeAsync(client, root);
        }
    }

    [Fact]
    public async Task Chroot_PathsAreRelative()
    {
        await using var plain = await ZooKeeperServer.ConnectAsync();
        var root = ZooKeeperServer.UniqueRoot();
        try
        {
            await plain.CreateAsync(root, default, CreateMode.Persistent, cancellationToken: Ct);
            await using var rooted = await ZooKeeperServer.ConnectAsync(chroot: root);
            var created = await rooted.CreateAsync("/x-", default, CreateMode.EphemeralSequential, cancellationToken: Ct);
            Assert.StartsWith("/x-", created.Path, StringComparison.Ordinal);
            var children = await plain.GetChildrenAsync(root, cancellationToken: Ct);
            Assert.Equal(created.Path[1..], Assert.Single(children.Children));
            Assert.NotNull(await rooted.ExistsAsync("/", cancellationToken: Ct));
        }
        finally
        {
            await ZooKeeperServer.DeleteTreeAsync(plain, root);
        }
    }

    [Fact]
    public async Task Close_DeletesEphemeralNodesAtOnce()
    {
        await using var observer = await ZooKeeperServer.ConnectAsync();
        var root = ZooKeeperServer.UniqueRoot();
        try
        {
            await observer.CreateAsync(root, default, CreateMode.Persistent, cancellationToken: Ct);
            var client = await ZooKeeperServer.ConnectAsync();
            await client.CreateAsync(root + "/e", default, CreateMode.Ephemeral, cancellationToken: Ct);
            await client.DisposeAsync();
            Assert.Null(await observer.ExistsAsync(root + "/e", cancellationToken: Ct));
            Assert.Equal(ZooKeeperSessionState.Closed, client.State);
            await ZooKeeperAssert.ThrowsAsync(ZooKeeperErrorCode.SessionExpired, () => client.ExistsAsync("/", cancellationToken: Ct));
        }
        finally
        {
            await ZooKeeperServer.DeleteTreeAsync(observer, root);
        }
    }
}
