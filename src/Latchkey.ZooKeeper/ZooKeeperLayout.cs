using Latchkey.Backend;

namespace Latchkey.ZooKeeper;

/// <summary>
/// Where a primitive's queue lives and how its nodes are named (<c>layout=</c> in the connection string).
/// <see cref="Latchkey"/>: <c>/latchkey/{kind}/{escaped name}/{tag}-{guid}-{sequence}</c>
/// (<see cref="ZooKeeperQueueNodes"/>). <see cref="Curator"/>: locks and reader-writer locks as Apache Curator's
/// <c>InterProcessMutex</c> and <c>InterProcessReadWriteLock</c> lay them out, so a JVM service and a .NET one
/// share a lock: the lock path is <c>/{escaped name}</c> under the chroot, and our node is a protected
/// ephemeral-sequential one, <c>_c_{uuid}-lock-{sequence}</c> (reader-writer: <c>_c_{uuid}-__READ__{sequence}</c>,
/// <c>…-__WRIT__{sequence}</c>). Semaphores and elections keep Latchkey's layout under <c>/.latchkey</c>, which no
/// escaped name can reach (a leading <c>.</c> is escaped).
/// </summary>
/// <remarks>
/// The Curator rules followed (curator-recipes <c>LockInternals</c>, <c>StandardLockInternalsDriver</c>,
/// <c>InterProcessReadWriteLock</c>): the queue is sorted by the text after the last <c>lock-</c>,
/// <c>__READ__</c> or <c>__WRIT__</c>, the server's ten-digit sequence; a mutex or writer holds when first and
/// watches its immediate predecessor with <c>getData</c>; a reader holds when no writer is ahead and otherwise
/// waits on a writer ahead. Those are Latchkey's own queue rules (<see cref="QueueDecision"/>), so only the
/// names differ. A lock and a reader-writer lock of one name share the directory, not the queue: each counts only
/// its own recipe's nodes (<see cref="ZooKeeperQueueEntry.TryParseCurator"/>). Curator's protected prefix (<c>_c_</c>, a UUID, <c>-</c>) is how it finds its node after a lost
/// create reply; we find ours the same way, by the UUID in the name.
/// </remarks>
internal sealed class ZooKeeperLayout
{
    public const string CuratorLockName = "lock-";
    public const string CuratorReadName = "__READ__";
    public const string CuratorWriteName = "__WRIT__";

    private const string CuratorProtectedPrefix = "_c_";
    private const string CuratorOtherKindsRoot = "/.latchkey";

    private readonly bool _curator;

    private ZooKeeperLayout(bool curator, string name)
    {
        _curator = curator;
        Name = name;
    }

    /// <summary>Latchkey's own layout, the default.</summary>
    public static ZooKeeperLayout Latchkey { get; } = new(curator: false, "latchkey");

    /// <summary>Locks and reader-writer locks shared with Apache Curator's recipes.</summary>
    public static ZooKeeperLayout Curator { get; } = new(curator: true, "curator");

    /// <summary>The value of <c>layout=</c> that selects this layout.</summary>
    public string Name { get; }

    /// <summary>The layout named by a connection string's <c>layout=</c> (null: the default).</summary>
    public static ZooKeeperLayout Parse(string? value) => value switch
    {
        null or "latchkey" => Latchkey,
        "curator" => Curator,
        _ => throw new FormatException($"zk:// layout must be 'latchkey' (the default) or 'curator' (locks as Apache Curator's InterProcessMutex and InterProcessReadWriteLock lay them out); got '{value}'."),
    };

    /// <summary>The directory of one primitive's queue (chroot-relative).</summary>
    public string ParentPath(LockKind kind, string escapedName) => (_curator, kind) switch
    {
        (true, LockKind.Lock or LockKind.ReaderWriter) => "/" + escapedName,
        (true, _) => CuratorOtherKindsRoot + ZooKeeperQueueNodes.ParentPath(kind, escapedName)[ZooKeeperQueueNodes.RootPath.Length..],
        _ => ZooKeeperQueueNodes.ParentPath(kind, escapedName),
    };

    /// <summary>The path our ephemeral-sequential node is created at (the server appends the sequence).</summary>
    public string NodePrefix(string parent, LockRequest request, Guid guid) => IsCurator(request.Kind)
        ? $"{parent}/{CuratorProtectedPrefix}{guid:D}-{CuratorName(request)}"
        : $"{parent}/{ZooKeeperQueueNodes.Tag(request)}-{guid:N}-";

    /// <summary>The text of the node's name that only our acquire's node holds (found again after a lost reply).</summary>
    public string Marker(LockKind kind, Guid guid) => IsCurator(kind) ? guid.ToString("D") : guid.ToString("N");

    /// <summary>The queue, oldest first, from a listing of children.</summary>
    public List<ZooKeeperQueueEntry> ParseQueue(LockKind kind, IEnumerable<string> children) =>
        IsCurator(kind) ? ZooKeeperQueueEntry.ParseAllCurator(children, kind == LockKind.ReaderWriter) : ZooKeeperQueueEntry.ParseAll(children);

    private bool IsCurator(LockKind kind) => _curator && kind is LockKind.Lock or LockKind.ReaderWriter;

    private static string CuratorName(LockRequest request) => request.Kind switch
    {
        LockKind.ReaderWriter => request.Access == LockAccess.Shared ? CuratorReadName : CuratorWriteName,
        _ => CuratorLockName,
    };
}
