using Xunit;

namespace Latchkey.Conformance;

public abstract partial class LockConformanceSuite
{
    public static TheoryData<string> InvalidNames => new()
    {
        string.Empty,
        new string('x', 1025),
        new string('é', 513),
        "nul\0inside",
        "line\nbreak",
        "lone\uD800surrogate",
    };

    public static TheoryData<string> AwkwardButValidNames => new()
    {
        "a/b",
        "a%2Fb",
        "with space",
        "{braces}",
        "..",
        ".",
        "über-ünïcode-名前",
        new string('y', 1024),
        new string('é', 512),
    };

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public void CreateLock_WithInvalidName_ThrowsArgumentException(string name) =>
        Assert.ThrowsAny<ArgumentException>(() => Provider.CreateLock(name));

    [Fact]
    public void CreateLock_WithNullName_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => Provider.CreateLock(null!));

    [Theory]
    [InlineData(0)]
    [InlineData(-1000)]
    public void CreateLock_WithTtlNotPositive_ThrowsArgumentOutOfRange(int ttlMilliseconds) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Provider.CreateLock("ttl", new LockOptions { Ttl = TimeSpan.FromMilliseconds(ttlMilliseconds) }));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void CreateSemaphore_WithPermitsBelowOne_ThrowsArgumentOutOfRange(int permits) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Provider.CreateSemaphore("sem", permits));

    [Fact]
    public async Task Acquire_WithNegativeTimeout_ThrowsArgumentOutOfRange() =>
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Provider.CreateLock(UniqueName()).AcquireAsync(TimeSpan.FromSeconds(-2), TestCancellation));

    [Fact]
    public async Task Campaign_WithOversizedValue_ThrowsArgumentException() =>
        await Assert.ThrowsAsync<ArgumentException>(async () => await Provider.CreateElection(UniqueName("elect")).CampaignAsync(new string('v', 70_000), Patience, TestCancellation));

    [Theory]
    [MemberData(nameof(AwkwardButValidNames))]
    public async Task Acquire_WithAwkwardName_WorksAndLeavesNothing(string name)
    {
        var theLock = Provider.CreateLock(name);
        var handle = await theLock.AcquireAsync(Patience, TestCancellation);
        Assert.Equal(name, handle.Name);
        var status = await Provider.GetStatusAsync(LockKind.Lock, name, TestCancellation);
        Assert.Single(status.Holders);
        await handle.ReleaseAsync();
        await AssertNothingLeftAsync(LockKind.Lock, name);
    }

    [Fact]
    public async Task Names_ThatEscapeAlike_AreStillDistinctLocks()
    {
        var suffix = Guid.NewGuid().ToString("N");
        await using var slash = await Provider.CreateLock($"a/b-{suffix}").AcquireAsync(Patience, TestCancellation);
        await using var percent = await Provider.CreateLock($"a%2Fb-{suffix}").TryAcquireAsync(cancellationToken: TestCancellation);
        await using var parent = await Provider.CreateLock($"a-{suffix}").TryAcquireAsync(cancellationToken: TestCancellation);
        Assert.NotNull(percent);
        Assert.NotNull(parent);
    }

    [Fact]
    public async Task Kinds_OfOneName_AreDistinct()
    {
        var name = UniqueName("kinds");
        await using var theLock = await Provider.CreateLock(name).AcquireAsync(Patience, TestCancellation);
        await using var writer = await Provider.CreateReaderWriterLock(name).TryAcquireWriteAsync(cancellationToken: TestCancellation);
        await using var permit = await Provider.CreateSemaphore(name, 1).TryAcquireAsync(cancellationToken: TestCancellation);
        Assert.NotNull(writer);
        Assert.NotNull(permit);
    }
}
