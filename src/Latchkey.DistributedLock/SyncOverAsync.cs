namespace Latchkey.DistributedLock;

/// <summary>
/// The synchronous methods of DistributedLock.Core's interfaces, over Latchkey's asynchronous ones: they block
/// the calling thread until the acquire or release completes, as DistributedLock's own synchronous methods do.
/// </summary>
/// <remarks>
/// Safe from deadlock under a single-threaded <see cref="SynchronizationContext"/> because nothing awaited here
/// needs the caller's context: Latchkey and this bridge await with <c>ConfigureAwait(false)</c> throughout.
/// </remarks>
internal static class SyncOverAsync
{
#pragma warning disable VSTHRD002 // Blocking is the contract of the synchronous interface methods this serves.
    public static T Wait<T>(ValueTask<T> pending) =>
        pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();

    public static void Wait(ValueTask pending)
    {
        if (pending.IsCompletedSuccessfully)
        {
            pending.GetAwaiter().GetResult();
            return;
        }

        pending.AsTask().GetAwaiter().GetResult();
    }
#pragma warning restore VSTHRD002
}
