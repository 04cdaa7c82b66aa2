using Google.Protobuf;
using Latchkey.Backend;

namespace Latchkey.Etcd;

/// <summary>
/// Where keys live: <c>{prefix}{kind}/{escapedName}/{id}</c>, and for reader-writer locks
/// <c>{prefix}rwlock/{escapedName}/r/{id}</c> or <c>…/w/{id}</c>. An escaped name holds no <c>/</c>, so no
/// name reaches another's keys; the id (<c>{lease hex}-{number hex}</c>) is unique among the keys that exist at
/// once, and reused once a key is gone for good (see <see cref="EtcdKeyNumbers"/>).
/// With <paramref name="mutexLayout"/> (<c>layout=etcd</c>), a lock's keys are <c>{prefix}{escapedName}/{id}</c>,
/// as etcd's own <c>concurrency.Mutex</c> (and <c>etcdctl lock</c>) lays them out, so the two exclude each
/// other; the other kinds then live under <c>{prefix}.{kind}/</c>, which no escaped name can start with.
/// </summary>
internal sealed class EtcdKeyspace(string prefix, bool mutexLayout = false)
{
    public string Prefix => prefix;

    public static string KindSegment(LockKind kind) => kind switch
    {
        LockKind.Lock => "lock",
        LockKind.ReaderWriter => "rwlock",
        LockKind.Semaphore => "semaphore",
        LockKind.Election => "election",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown lock kind."),
    };

    /// <summary>Every key of one primitive.</summary>
    public string NamePrefix(LockKind kind, string escapedName) => (mutexLayout, kind) switch
    {
        (false, _) => $"{prefix}{KindSegment(kind)}/{escapedName}/",
        (true, LockKind.Lock) => $"{prefix}{escapedName}/",
        (true, _) => $"{prefix}.{KindSegment(kind)}/{escapedName}/",
    };

    /// <summary>Where an acquisition's key goes: its primitive's keys, and for a reader-writer lock <c>r/</c> or <c>w/</c>; <see cref="EtcdKeyNumbers"/> appends the id.</summary>
    public string KeyName(LockRequest request) =>
        NamePrefix(request.Kind, request.EscapedName) + (request.Kind == LockKind.ReaderWriter ? (request.Access == LockAccess.Shared ? "r/" : "w/") : string.Empty);

    /// <summary>The keys that can come before ours and block us: writers for a reader, everyone otherwise.</summary>
    public ByteString BlockersPrefix(LockRequest request) =>
        ByteString.CopyFromUtf8(request.Kind == LockKind.ReaderWriter && request.Access == LockAccess.Shared
            ? NamePrefix(request.Kind, request.EscapedName) + "w/"
            : NamePrefix(request.Kind, request.EscapedName));

    /// <summary>The end of the range of keys that start with <paramref name="keyPrefix"/>.</summary>
    public static ByteString RangeEnd(ByteString keyPrefix)
    {
        var bytes = keyPrefix.ToByteArray();
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] < 0xFF)
            {
                bytes[i]++;
                return ByteString.CopyFrom(bytes, 0, i + 1);
            }
        }

        return ByteString.CopyFrom(0); // every key
    }
}
