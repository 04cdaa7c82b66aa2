using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Latchkey.Backend;

namespace Latchkey.Embedded;

/// <summary>
/// The in-process backend: exact FIFO, hand-off without a round trip, nothing to renew. The reference
/// model of the conformance suite.
/// </summary>
internal sealed class MemoryLockBackend(MemoryLockSpace space) : LockBackend
{
    private static readonly LockProviderCapabilities MemoryCapabilities = new()
    {
        Backend = "memory",
        Fair = true,
        HerdFree = true,
        DurableFencingTokens = false,
        CrossMachine = false,
        CrossProcess = false,
        Leases = false,
    };

    private readonly ConcurrentDictionary<MemoryLockAcquisition, byte> _held = new();
    private readonly CancellationTokenSource _disposed = new();

    public override LockProviderCapabilities Capabilities => MemoryCapabilities;

    public override ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        ValueTask<LockAcquisition?> result;
        while (!space.Get(request.Kind, request.Name).TryAcquire(this, request, cancellationToken, out result))
        {
            // The state retired between the lookup and the lock: the name has a new one.
        }

        return result;
    }

    public override ValueTask<LockStatus> GetStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken) =>
        ValueTask.FromResult(space.Find(kind, name)?.Snapshot() ?? new LockStatus(kind, name, [], []));

    public override async IAsyncEnumerable<LockStatus> WatchStatusAsync(LockKind kind, string name, string escapedName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        MemoryLockState? state = null;
        try
        {
            while (true)
            {
                // A state that retired wakes its watchers: they move to the name's next state.
                state = space.Get(kind, name);
                var changed = state.NextChangeAsync();
                yield return state.Snapshot();
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            state?.RetireIfIdle();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync().ConfigureAwait(false);
        foreach (var lease in _held.Keys)
        {
            await lease.ReleaseAsync().ConfigureAwait(false);
        }

        _disposed.Dispose();
    }

    internal CancellationToken DisposedToken => _disposed.Token;

    internal void Track(MemoryLockAcquisition lease) => _held.TryAdd(lease, 0);

    internal void Untrack(MemoryLockAcquisition lease) => _held.TryRemove(lease, out _);
}
