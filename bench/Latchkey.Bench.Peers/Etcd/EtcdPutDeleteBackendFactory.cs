using Latchkey.Backend;

namespace Latchkey.Bench.Peers.Etcd;

/// <summary>
/// Creates <c>peer-etcd-putdelete://host:port[?ttl=30s][&amp;shape=put|txn|txn-read|txn-put|put-range|put-watch]</c> backends (not locks: see
/// <see cref="PeerSchemes.EtcdPutDelete"/>). The shape says how the pair is sent, to tell what the server pays for
/// the shape of a lock's requests from what it pays for the rest of a lock: <c>put</c> (the default) a Put and a
/// Delete; <c>txn</c> a transaction that puts only if no key is under the name, then a Delete (Latchkey's
/// uncontended cycle); <c>txn-read</c> a transaction that puts if our key is absent and reads the name's newest
/// keys, then a transaction that deletes if the create revision matches (the Go Mutex's acquire, and Latchkey's
/// cycle before 2026-11-27); <c>txn-put</c> a transaction with no compare that only puts, then a Delete (what etcd
/// charges for a transaction as such); <c>put-range</c> a Put, a serializable Range of the name's newest keys, then
/// a Delete (a lock that decides with a plain Put and a read after it); <c>put-watch</c> a Put whose own event is
/// awaited on a watch of the whole name, then a Delete (a lock that decides with a plain Put and a mirror of the
/// name; see <see cref="PeerPrefixWatch"/>).
/// </summary>
public sealed class EtcdPutDeleteBackendFactory : ILockBackendFactory
{
    /// <inheritdoc/>
    public LockBackend Create(LockConnectionString connectionString, LockProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var shape = connectionString.GetString("shape") ?? "put";
        if (shape is not ("put" or "txn" or "txn-read" or "txn-put" or "put-range" or "put-watch"))
        {
            throw new ArgumentException($"shape must be put, txn, txn-read, txn-put, put-range or put-watch; got '{shape}'.", nameof(connectionString));
        }

        return new EtcdPutDeleteBackend(PeerEtcdSettings.CreateSession(connectionString), shape);
    }
}
