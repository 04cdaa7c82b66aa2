using System.Collections.Concurrent;
using System.Text;
using Google.Protobuf;
using Latchkey.Backend;
using V3Lock = Latchkey.Etcd.Protocol.V3Lock;

namespace Latchkey.Bench.Peers.Etcd;

/// <summary>
/// etcd's server-side lock: <c>Lock(name, lease)</c> blocks in the server, which runs etcd's own
/// <c>concurrency.Mutex</c> for the caller (a key under the name with the lease, then a wait for the deletion of
/// the predecessor's key); <c>Unlock(key)</c> deletes the key. All locks of a provider share its one lease.
/// The fencing token is the response header's revision: the creating transaction's revision when the lock was
/// free, else the revision of the server's last read after the predecessor went — both above every earlier
/// holder's, but not the key's create revision (that would cost one more read per acquire).
/// etcd keys the lock by (name, lease), and a second Lock with the same lease is a no-op that returns at once,
/// so acquires of one name within one provider first queue on a local gate; the bench gives each contender its
/// own provider (its own lease) unless told to share one.
/// </summary>
internal sealed class EtcdV3LockBackend : LockBackend
{
    private const string KeyPrefix = "latchkey-peer/v3lock/";
    private readonly PeerEtcdSession _session;
    private readonly V3Lock.Lock.LockClient _locks;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _localGates = new(StringComparer.Ordinal);

    public EtcdV3LockBackend(PeerEtcdSession session)
    {
        _session = session;
        _locks = new V3Lock.Lock.LockClient(session.Channel);
    }

    public override LockProviderCapabilities Capabilities { get; } = PeerAddress.Capabilities(PeerSchemes.EtcdV3Lock, leases: true);

    public override async ValueTask ConnectAsync(CancellationToken cancellationToken) =>
        await _session.GetLeaseAsync(cancellationToken).ConfigureAwait(false);

    public override async ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        PeerAddress.RequireExclusiveLock(request, PeerSchemes.EtcdV3Lock);
        if (!request.Wait)
        {
            // v3lock has no try-lock: Lock blocks in the server until the lock is free.
            throw new NotSupportedException($"{PeerSchemes.EtcdV3Lock}:// cannot try-acquire: etcd's Lock RPC always waits.");
        }

        var gate = _localGates.GetOrAdd(request.EscapedName, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var lease = await _session.GetLeaseAsync(cancellationToken).ConfigureAwait(false);
            var name = ByteString.CopyFrom(KeyPrefix + request.EscapedName, Encoding.UTF8);

            // Cancelling the call makes the server give up its wait and delete the key it queued.
            var response = await _session.CallAsync(() => _locks.LockAsync(new V3Lock.LockRequest { Name = name, Lease = lease }, cancellationToken: cancellationToken).ResponseAsync, cancellationToken).ConfigureAwait(false);
            return new EtcdV3LockAcquisition(_session, _locks, response.Key, response.Header.Revision, gate);
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    public override ValueTask<LockStatus> GetStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken) =>
        throw PeerAddress.NoStatus(PeerSchemes.EtcdV3Lock);

    public override IAsyncEnumerable<LockStatus> WatchStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken) =>
        throw PeerAddress.NoStatus(PeerSchemes.EtcdV3Lock);

    public override async ValueTask DisposeAsync()
    {
        await _session.DisposeAsync().ConfigureAwait(false);
        foreach (var gate in _localGates.Values)
        {
            gate.Dispose();
        }
    }
}
