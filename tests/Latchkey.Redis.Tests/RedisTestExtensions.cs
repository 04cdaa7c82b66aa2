using System.Diagnostics;
using Xunit;

namespace Latchkey.Redis.Tests;

internal static class RedisTestExtensions
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static RedisLockBackend RedisBackend(this ILockProvider provider) => (RedisLockBackend)((LockProvider)provider).Backend;

    /// <summary>Waits until <paramref name="condition"/> holds, checking in-process state every millisecond or so, bounded by <see cref="Patience"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Patience, $"Gave up after {Patience} waiting for {what}.");
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }
    }
}

internal static class WaitHandleExtensions
{
    /// <summary>Waits for a wait handle without blocking a thread, failing after <paramref name="timeout"/>.</summary>
    public static async Task WaitOneAsync(this WaitHandle handle, TimeSpan timeout)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = ThreadPool.RegisterWaitForSingleObject(handle, (_, timedOut) => { if (timedOut) { done.TrySetException(new TimeoutException($"Not signalled within {timeout}.")); } else { done.TrySetResult(); } }, null, timeout, executeOnlyOnce: true);
        try
        {
            await done.Task;
        }
        finally
        {
            registration.Unregister(null);
        }
    }
}
