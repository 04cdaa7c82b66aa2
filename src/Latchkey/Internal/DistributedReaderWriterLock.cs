using Latchkey.Backend;

namespace Latchkey.Internal;

internal sealed class DistributedReaderWriterLock(LockProvider provider, PrimitiveSpec spec) : IDistributedReaderWriterLock
{
    private readonly LockRequest _read = Request(spec, LockAccess.Shared);
    private readonly LockRequest _write = Request(spec, LockAccess.Exclusive);

    public string Name => spec.Name;

    public ValueTask<ILockHandle?> TryAcquireReadAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        Acquisition.TryAcquireAsync(provider, _read, timeout, FlowOwner.For(spec.Options), cancellationToken);

    public ValueTask<ILockHandle> AcquireReadAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Acquisition.AcquireAsync(provider, _read, timeout, FlowOwner.For(spec.Options), cancellationToken);

    public ValueTask<ILockHandle?> TryAcquireWriteAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        Acquisition.TryAcquireAsync(provider, _write, timeout, FlowOwner.For(spec.Options), cancellationToken);

    public ValueTask<ILockHandle> AcquireWriteAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Acquisition.AcquireAsync(provider, _write, timeout, FlowOwner.For(spec.Options), cancellationToken);

    private static LockRequest Request(PrimitiveSpec spec, LockAccess access) => new()
    {
        Kind = LockKind.ReaderWriter,
        Name = spec.Name,
        EscapedName = spec.EscapedName,
        Access = access,
        Permits = 1,
        Options = spec.Options,
        Wait = true,
    };
}
