using Latchkey.Conformance;
using Microsoft.Extensions.Time.Testing;

namespace Latchkey.DistributedLock.Tests;

/// <summary>
/// A memory:// space of its own per test, on a fake clock so timeouts run without sleeping, seen through
/// DistributedLock.Core's interfaces only (as code written against them sees it).
/// </summary>
public abstract class BridgeTestBase : IAsyncDisposable
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    protected BridgeTestBase()
    {
        Latchkey = LockProvider.Connect($"memory://bridge-{Guid.NewGuid():N}", new LockProviderOptions { TimeProvider = Clock });
        Locks = new LatchkeyDistributedLockProvider(Latchkey);
    }

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected FakeTimeProvider Clock { get; } = new();

    protected ILockProvider Latchkey { get; }

    protected Medallion.Threading.IDistributedLockProvider Locks { get; }

    /// <summary>Waits until <paramref name="count"/> acquires wait on <paramref name="name"/>, so a clock advance reaches them.</summary>
    protected Task WaitForWaitersAsync(LockKind kind, string name, int count) =>
        Polling.UntilAsync(async () => (await Latchkey.GetStatusAsync(kind, name, Ct)).Waiters.Count >= count, $"{count} waiters on '{name}'", Patience, Ct);

    public async ValueTask DisposeAsync()
    {
        await Latchkey.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
