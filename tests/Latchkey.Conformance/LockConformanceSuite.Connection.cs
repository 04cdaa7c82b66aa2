using System.Diagnostics;
using Xunit;

namespace Latchkey.Conformance;

public abstract partial class LockConformanceSuite
{
    /// <summary>Connection strings of this backend's scheme that are malformed (bad port, unknown option…).</summary>
    protected virtual IEnumerable<string> MalformedConnectionStrings => [];

    /// <summary>
    /// A connection string of this backend that points at a loopback port where nothing listens, or
    /// <see langword="null"/> for a backend without a server.
    /// </summary>
    protected virtual string? UnreachableConnectionString => null;

    /// <summary>How long connecting to an unreachable server may take before it must fail.</summary>
    protected virtual TimeSpan ConnectTimeoutBound => TimeSpan.FromSeconds(15);

    [Fact]
    public void Connect_WithMalformedConnectionString_ThrowsFormatException()
    {
        var malformed = MalformedConnectionStrings.ToList();
        Assert.SkipWhen(malformed.Count == 0, "The backend has no connection-string options to get wrong.");
        Assert.All(malformed, text => Assert.Throws<FormatException>(() => LockProvider.Connect(text)));
    }

    [Fact]
    public async Task Connect_ToUnreachableServer_FailsWithBackendUnavailableInBoundedTime()
    {
        var unreachable = UnreachableConnectionString;
        Assert.SkipWhen(unreachable is null, "The backend has no server.");
        var clock = Stopwatch.StartNew();
        await using var provider = LockProvider.Connect(unreachable!);
        await Assert.ThrowsAnyAsync<LockBackendUnavailableException>(async () => await provider.ConnectAsync(TestCancellation));
        await Assert.ThrowsAnyAsync<LockBackendUnavailableException>(async () => await provider.CreateLock(UniqueName()).TryAcquireAsync(cancellationToken: TestCancellation));
        Assert.True(clock.Elapsed < ConnectTimeoutBound * 2, $"Failing took {clock.Elapsed}.");
    }
}
