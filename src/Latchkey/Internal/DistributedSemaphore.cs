using Latchkey.Backend;

namespace Latchkey.Internal;

internal sealed class DistributedSemaphore(LockProvider provider, PrimitiveSpec spec, int permits) : IDistributedSemaphore
{
    private readonly LockRequest _request = new()
    {
        Kind = LockKind.Semaphore,
        Name = spec.Name,
        EscapedName = spec.EscapedName,
        Access = LockAccess.Exclusive,
        Permits = permits,
        Options = spec.Options,
        Wait = true,
    };

    public string Name => spec.Name;

    public int Permits => permits;

    public ValueTask<ILockHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        Acquisition.TryAcquireAsync(provider, _request, timeout, FlowOwner.For(spec.Options), cancellationToken);

    public ValueTask<ILockHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Acquisition.AcquireAsync(provider, _request, timeout, FlowOwner.For(spec.Options), cancellationToken);
}
