using System.Diagnostics;
using Xunit;

namespace Latchkey.Conformance;

/// <summary>
/// The behaviours every backend must show, written once. A backend's test project subclasses it and
/// says how to make a provider; capabilities a backend does not declare are skipped, and those it
/// declares are checked.
/// </summary>
public abstract partial class LockConformanceSuite : IAsyncLifetime
{
    private readonly List<ILockProvider> _providers = [];

    /// <summary>The first provider of the test.</summary>
    protected ILockProvider Provider { get; private set; } = null!;

    /// <summary>Cancelled when the test times out or the run is aborted.</summary>
    protected static CancellationToken TestCancellation => TestContext.Current.CancellationToken;

    /// <summary>An upper bound for any single wait in a test; a wait that needs it has failed.</summary>
    protected virtual TimeSpan Patience => TimeSpan.FromSeconds(20);

    /// <summary>
    /// A connection string that a child process can use to reach the same locks, or <see langword="null"/>
    /// if the backend is in-process only.
    /// </summary>
    protected virtual string? ChildProcessConnectionString => null;

    /// <summary>Creates a new, independent provider (a new client) on the backend under test.</summary>
    protected abstract ValueTask<ILockProvider> CreateProviderAsync();

    /// <summary>
    /// Creates a provider with <paramref name="options"/> (a clock of the test's, say). A backend with leases
    /// must override it: the suite's lease tests need it.
    /// </summary>
    protected virtual ValueTask<ILockProvider> CreateProviderAsync(LockProviderOptions options) =>
        throw new NotSupportedException($"{GetType().Name} does not create providers with options; override CreateProviderAsync(LockProviderOptions).");

    /// <inheritdoc/>
    public virtual async ValueTask InitializeAsync() => Provider = await NewProviderAsync();

    /// <inheritdoc/>
    public virtual async ValueTask DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>A provider that the suite disposes after the test.</summary>
    protected async ValueTask<ILockProvider> NewProviderAsync()
    {
        var provider = await CreateProviderAsync();
        _providers.Add(provider);
        return provider;
    }

    /// <summary>A lock name no other test uses.</summary>
    protected static string UniqueName(string hint = "lock") => $"conf-{hint}-{Guid.NewGuid():N}";

    /// <summary>
    /// Waits, bounded by <see cref="Patience"/>, until the backend reports a condition on a primitive's
    /// status (say, that a waiter has queued). It reads state; it does not guess a duration.
    /// </summary>
    protected async Task WaitForStatusAsync(LockKind kind, string name, Func<LockStatus, bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            var status = await Provider.GetStatusAsync(kind, name, TestCancellation);
            if (condition(status))
            {
                return;
            }

            if (clock.Elapsed > Patience)
            {
                Assert.Fail($"Gave up after {Patience} waiting for {what}; status: {status.Holders.Count} holders, {status.Waiters.Count} waiters.");
            }

            await Task.Delay(delay, TestCancellation);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMilliseconds(50).Ticks));
        }
    }

    /// <summary>Asserts that <paramref name="task"/> has not completed yet, without waiting for a guessed time.</summary>
    protected static void AssertPending(Task task, string what) =>
        Assert.False(task.IsCompleted, $"{what} completed but should still be waiting.");

    /// <summary>Awaits <paramref name="task"/>, failing the test if it takes longer than <see cref="Patience"/>.</summary>
    protected async Task<T> Within<T>(Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(Patience, TestCancellation);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{what} did not happen within {Patience}.");
            throw;
        }
    }

    /// <summary>Awaits <paramref name="task"/>, failing the test if it takes longer than <see cref="Patience"/>.</summary>
    protected async Task Within(Task task, string what)
    {
        try
        {
            await task.WaitAsync(Patience, TestCancellation);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{what} did not happen within {Patience}.");
            throw;
        }
    }

    /// <summary>Asserts that nothing of the primitive is left on the backend: no holder, no waiter.</summary>
    protected async Task AssertNothingLeftAsync(LockKind kind, string name)
    {
        var status = await Provider.GetStatusAsync(kind, name, TestCancellation);
        Assert.Empty(status.Holders);
        Assert.Empty(status.Waiters);
    }
}
