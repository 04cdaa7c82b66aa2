using System.Text;

namespace Latchkey.File.Tests;

/// <summary>How names map to files: any valid name fits a file name, and distinct names stay distinct.</summary>
public sealed class NamingTests : FileTests
{
    [Fact]
    public async Task LongestNames_FitTheFileSystem_AndNamesSharingAPrefixStayDistinct()
    {
        // 1,024 UTF-8 bytes each, escaping to 3,072 characters; they differ only in the last character.
        var a = new string('é', 511) + "a";
        var b = new string('é', 511) + "b";
        Assert.Equal(LockName.MaxUtf8Bytes, Encoding.UTF8.GetByteCount(a) + 1);
        var provider = NewProvider();
        await using var first = await provider.CreateLock(a + "x").TryAcquireAsync(cancellationToken: Ct);
        await using var second = await provider.CreateLock(b + "x").TryAcquireAsync(cancellationToken: Ct);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(await NewProvider().CreateLock(a + "x").TryAcquireAsync(cancellationToken: Ct));
        Assert.All(Directory.GetFiles(Path.Combine(Dir.FullName, "lock")), f => Assert.True(Encoding.UTF8.GetByteCount(Path.GetFileName(f)) <= 255, f));
        Assert.Equal(first!.FencingToken, Assert.Single((await provider.GetStatusAsync(LockKind.Lock, a + "x", Ct)).Holders).Sequence);
    }

    [Fact]
    public async Task NamesDifferingOnlyInCase_AreDistinctLocks_EvenOnACaseInsensitiveFileSystem()
    {
        var provider = NewProvider();
        await using var upper = await provider.CreateLock("Job").TryAcquireAsync(cancellationToken: Ct);
        await using var lower = await NewProvider().CreateLock("job").TryAcquireAsync(cancellationToken: Ct);
        await using var escaped = await NewProvider().CreateLock("%4Aob").TryAcquireAsync(cancellationToken: Ct);
        Assert.NotNull(upper);
        Assert.NotNull(lower);
        Assert.NotNull(escaped);

        // Upper-case letters are escaped in file names, so no two differ only in case.
        var files = Directory.GetFiles(Path.Combine(Dir.FullName, "lock")).Select(Path.GetFileName).ToList();
        Assert.Contains("%4Aob.lock", files);
        Assert.Contains("job.lock", files);
        Assert.Equal(files.Count, files.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData(".")]
    [InlineData("x.lock")]
    [InlineData("x.wait-1-1")]
    public async Task PathLikeNames_StayInsideTheLockFolder_AndDoNotCollide(string name)
    {
        var provider = NewProvider();
        await using var plain = await provider.CreateLock("x").TryAcquireAsync(cancellationToken: Ct);
        await using var odd = await NewProvider().CreateLock(name).TryAcquireAsync(cancellationToken: Ct);
        Assert.NotNull(plain);
        Assert.NotNull(odd);
        Assert.Equal(["election", "lock", "rwlock", "semaphore"], Directory.GetFileSystemEntries(Dir.FullName).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Single((await provider.GetStatusAsync(LockKind.Lock, "x", Ct)).Holders);
        Assert.Empty((await provider.GetStatusAsync(LockKind.Lock, "x", Ct)).Waiters);
    }

    [Fact]
    public async Task SameNameOfDifferentKinds_AreUnrelated()
    {
        var provider = NewProvider();
        await using var lockHandle = await provider.CreateLock("same").TryAcquireAsync(cancellationToken: Ct);
        await using var permit = await provider.CreateSemaphore("same", 1).TryAcquireAsync(cancellationToken: Ct);
        await using var writer = await provider.CreateReaderWriterLock("same").TryAcquireWriteAsync(cancellationToken: Ct);
        await using var leader = await provider.CreateElection("same").CampaignAsync("v", TimeSpan.Zero, Ct);
        Assert.NotNull(lockHandle);
        Assert.NotNull(permit);
        Assert.NotNull(writer);
    }
}
