namespace Latchkey.File.Tests;

/// <summary>Connection strings and lock directories that cannot work, and the one that must.</summary>
public sealed class ConnectionTests : FileTests
{
    [Theory]
    [InlineData("file://relative/dir")]
    [InlineData("file://")]
    [InlineData("file://host:1/tmp/x")]
    [InlineData("file://user@localhost/tmp/x")]
    [InlineData("file:///tmp/x?fsync=false")]
    public void Connect_NotAnAbsoluteLocalDirectory_ThrowsFormatException(string connectionString) =>
        Assert.Throws<FormatException>(() => LockProvider.Connect(connectionString));

    [Fact]
    public async Task Connect_LocalhostAndAbsolutePath_UsesThatDirectory()
    {
        await using var provider = LockProvider.Connect($"file://localhost{Dir.FullName}/nested/deeper");
        await using var handle = await provider.CreateLock("x").AcquireAsync(cancellationToken: Ct);
        Assert.True(System.IO.File.Exists(Path.Combine(Dir.FullName, "nested", "deeper", "lock", "x.lock")));
        Assert.Equal("file", provider.Capabilities.Backend);
        Assert.True(provider.Capabilities.CrossProcess);
        Assert.True(provider.Capabilities.DurableFencingTokens);
        Assert.False(provider.Capabilities.Leases);
    }

    [Fact]
    public async Task ConnectAsync_DirectoryUnderARegularFile_ThrowsUnavailable_AndCreatesNothing()
    {
        var file = Path.Combine(Dir.FullName, "plain-file");
        await System.IO.File.WriteAllTextAsync(file, "content", Ct);
        await using var provider = LockProvider.Connect($"file://{file}/locks/here");
        var ex = await Assert.ThrowsAsync<LockBackendUnavailableException>(() => provider.ConnectAsync(Ct).AsTask());
        Assert.IsAssignableFrom<IOException>(ex.InnerException);
        Assert.Equal("content", await System.IO.File.ReadAllTextAsync(file, Ct));
        Assert.Equal([file], Directory.GetFileSystemEntries(Dir.FullName));
    }

    [Fact]
    public async Task Acquire_DirectoryUnderProc_ThrowsUnavailable_AtFirstUse()
    {
        // Tests run as root, for whom permissions stop nothing; /proc refuses new entries even to root.
        await using var provider = LockProvider.Connect("file:///proc/latchkey-cannot-be-here");
        await Assert.ThrowsAsync<LockBackendUnavailableException>(() => provider.CreateLock("x").AcquireAsync(cancellationToken: Ct).AsTask());
        Assert.False(Directory.Exists("/proc/latchkey-cannot-be-here"));
    }

    [Fact]
    public async Task ConnectAsync_KindFolderBlockedByAFile_RemovesTheFoldersItCreated()
    {
        var root = Path.Combine(Dir.FullName, "root");
        Directory.CreateDirectory(root);
        await System.IO.File.WriteAllTextAsync(Path.Combine(root, "semaphore"), "in the way", Ct);
        await using var provider = LockProvider.Connect($"file://{root}");
        await Assert.ThrowsAsync<LockBackendUnavailableException>(() => provider.ConnectAsync(Ct).AsTask());
        Assert.Equal([Path.Combine(root, "semaphore")], Directory.GetFileSystemEntries(root));
    }

    [Fact]
    public async Task Connect_MissingDirectory_IsCreatedOnlyAtFirstUse()
    {
        var root = Path.Combine(Dir.FullName, "later");
        await using var provider = LockProvider.Connect($"file://{root}");
        Assert.False(Directory.Exists(root));
        await provider.ConnectAsync(Ct);
        Assert.Equal(["election", "lock", "rwlock", "semaphore"], Directory.GetDirectories(root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Dispose_ReleasesEveryPrimitiveItHolds()
    {
        var first = NewProvider();
        var lockHandle = await first.CreateLock("a").AcquireAsync(cancellationToken: Ct);
        var permit = await first.CreateSemaphore("b", 1).AcquireAsync(cancellationToken: Ct);
        var writer = await first.CreateReaderWriterLock("c").AcquireWriteAsync(cancellationToken: Ct);
        var leader = await first.CreateElection("d").CampaignAsync("v", cancellationToken: Ct);
        var second = NewProvider();
        await using var blocker = await second.CreateLock("e").TryAcquireAsync(cancellationToken: Ct);
        Assert.NotNull(blocker);
        var waiter = first.CreateLock("e").AcquireAsync(cancellationToken: Ct).AsTask();
        await WaitForStatusAsync(second, LockKind.Lock, "e", s => s.Waiters.Count == 1, "the waiter to queue");

        await first.DisposeAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
        Assert.NotNull(await second.CreateLock("a").TryAcquireAsync(cancellationToken: Ct));
        Assert.NotNull(await second.CreateSemaphore("b", 1).TryAcquireAsync(cancellationToken: Ct));
        Assert.NotNull(await second.CreateReaderWriterLock("c").TryAcquireWriteAsync(cancellationToken: Ct));
        Assert.Null(await second.CreateElection("d").GetLeaderAsync(Ct));
        Assert.Empty((await second.GetStatusAsync(LockKind.Lock, "e", Ct)).Waiters);
    }

    [Fact]
    public async Task ManyProvidersInOneProcess_AllConnect_AndStillWakeOnRelease()
    {
        // The kernel allows a user 128 inotify instances; providers must share one.
        var providers = Enumerable.Range(0, 200).Select(_ => NewProvider()).ToList();
        foreach (var provider in providers)
        {
            await provider.ConnectAsync(Ct);
        }

        var held = await providers[0].CreateLock("busy").AcquireAsync(cancellationToken: Ct);
        var waiting = providers[^1].CreateLock("busy").AcquireAsync(cancellationToken: Ct).AsTask();
        await providers[100].DisposeAsync();
        await held.ReleaseAsync();
        await using var handle = await Within(waiting, "the acquire after the release");
    }

    [Fact]
    public async Task Connect_PercentEscapedPathAndTrailingSlash_AreUnderstood()
    {
        await using var provider = LockProvider.Connect($"file://{Dir.FullName}/with%20space/");
        await using var handle = await provider.CreateLock("x").AcquireAsync(cancellationToken: Ct);
        Assert.True(System.IO.File.Exists(Path.Combine(Dir.FullName, "with space", "lock", "x.lock")));
    }
}
