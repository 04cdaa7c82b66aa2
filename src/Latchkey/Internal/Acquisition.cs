using Latchkey.Backend;

namespace Latchkey.Internal;

/// <summary>The acquire path every primitive shares: timeout, cancellation, reentrancy, handle.</summary>
internal static class Acquisition
{
    public static async ValueTask<ILockHandle?> TryAcquireAsync(LockProvider provider, LockRequest request, TimeSpan timeout, FlowOwner? owner, CancellationToken cancellationToken) =>
        await AcquireCoreAsync(provider, request, timeout, owner, cancellationToken).ConfigureAwait(false);

    public static async ValueTask<ILockHandle> AcquireAsync(LockProvider provider, LockRequest request, TimeSpan? timeout, FlowOwner? owner, CancellationToken cancellationToken) =>
        await AcquireCoreAsync(provider, request, timeout ?? Timeout.InfiniteTimeSpan, owner, cancellationToken).ConfigureAwait(false)
        ?? throw new TimeoutException($"Timed out after {timeout} waiting for {Describe(request)}.");

    public static async ValueTask<LockHandle?> AcquireCoreAsync(LockProvider provider, LockRequest request, TimeSpan timeout, FlowOwner? owner, CancellationToken cancellationToken)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, $"Timeout must be zero or more, or infinite; got {timeout}.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        provider.ThrowIfDisposed();

        ReentrancyKey key = default;
        if (owner is not null)
        {
            key = new ReentrancyKey(owner, request.Kind, request.Name, request.Access);
            if (provider.Reentrancy.TryEnter(key, out var nested))
            {
                return nested;
            }
        }

        var scope = LockTelemetry.StartAcquire(provider, request);
        LockAcquisition? lease;
        try
        {
            lease = await AcquireFromBackendAsync(provider, request, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            LockTelemetry.EndAcquire(scope, provider, request, null, "cancelled", ex);
            throw;
        }
        catch (Exception ex)
        {
            LockTelemetry.EndAcquire(scope, provider, request, null, "failed", ex);
            throw;
        }

        LockTelemetry.EndAcquire(scope, provider, request, lease, lease is null ? "timeout" : "acquired");
        if (lease is null)
        {
            return null;
        }

        return owner is null
            ? CreateHandle(provider, request, lease, entry: null, table: null)
            : provider.Reentrancy.Enter(key, lease, (entry, table) => CreateHandle(provider, request, lease, entry, table));
    }

    /// <summary>The backend's acquire within <paramref name="timeout"/>: <see langword="null"/> when it ran out (zero: not free now).</summary>
    private static ValueTask<LockAcquisition?> AcquireFromBackendAsync(LockProvider provider, LockRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // No state machine of ours on the common paths: the backend's own task is awaited once, by the caller.
        if (timeout == TimeSpan.Zero)
        {
            return provider.Backend.AcquireAsync(request with { Wait = false }, cancellationToken);
        }

        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return provider.Backend.AcquireAsync(request with { Wait = true }, cancellationToken);
        }

        return AcquireWithinAsync(provider, request, timeout, cancellationToken);
    }

    private static async ValueTask<LockAcquisition?> AcquireWithinAsync(LockProvider provider, LockRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = new CancellationTokenSource(timeout, provider.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        try
        {
            return await provider.Backend.AcquireAsync(request with { Wait = true }, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public static string Describe(LockRequest request) => request.Kind switch
    {
        LockKind.Lock => $"lock '{request.Name}'",
        LockKind.ReaderWriter => $"{(request.Access == LockAccess.Shared ? "read" : "write")} lock '{request.Name}'",
        LockKind.Semaphore => $"a permit of semaphore '{request.Name}' ({request.Permits} permits)",
        _ => $"leadership of election '{request.Name}'",
    };

    private static LockHandle CreateHandle(LockProvider provider, LockRequest request, LockAcquisition lease, ReentrantEntry? entry, ReentrancyTable? table) =>
        request.Kind == LockKind.Election
            ? new Leadership(provider, request.Name, request.Value ?? string.Empty, lease, entry, table)
            : new LockHandle(provider, request.Kind, request.Name, lease, entry, table);
}
