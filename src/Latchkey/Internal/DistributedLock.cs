using Latchkey.Backend;

namespace Latchkey.Internal;

internal sealed class DistributedLock(LockProvider provider, PrimitiveSpec spec) : IDistributedLock
{
    private readonly LockRequest _request = new()
    {
        Kind = LockKind.Lock,
        Name = spec.Name,
        EscapedName = spec.EscapedName,
        Access = LockAccess.Exclusive,
        Permits = 1,
        Options = spec.Options,
        Wait = true,
    };

    public string Name => spec.Name;

    // Not async: FlowOwner.For must run in the caller's context (see FlowOwner).
    public ValueTask<ILockHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        Acquisition.TryAcquireAsync(provider, _request, timeout, FlowOwner.For(spec.Options), cancellationToken);

    public ValueTask<ILockHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Acquisition.AcquireAsync(provider, _request, timeout, FlowOwner.For(spec.Options), cancellationToken);
}
