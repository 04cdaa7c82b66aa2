using System.Globalization;
using Latchkey.Backend;

namespace Latchkey.ZooKeeper;

/// <summary>
/// One node of a primitive's queue, parsed from its name <c>{tag}-{guid}-{sequence}</c>: the tag says its
/// access (<c>read</c> is shared, anything else exclusive) and, for semaphores (<c>sem-p{N}</c>), the permits.
/// Nodes made by other tools (<c>zkCli.sh create -e -s …/lock-</c>) take part as exclusive ones.
/// </summary>
internal readonly record struct ZooKeeperQueueEntry(string Name, long Sequence, LockAccess Access, int Permits) : IQueueEntry
{
    public const int SequenceDigits = 10;

    public static bool TryParse(string name, out ZooKeeperQueueEntry entry)
    {
        entry = default;
        if (name.Length <= SequenceDigits || name[^(SequenceDigits + 1)] != '-' ||
            !long.TryParse(name.AsSpan(name.Length - SequenceDigits), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return false;
        }

        var access = name.StartsWith(ZooKeeperQueueNodes.ReadTag + "-", StringComparison.Ordinal) ? LockAccess.Shared : LockAccess.Exclusive;
        var permits = 1;
        const string semaphore = ZooKeeperQueueNodes.SemaphoreTag + "-p";
        if (name.StartsWith(semaphore, StringComparison.Ordinal))
        {
            var end = name.IndexOf('-', semaphore.Length);
            if (end > semaphore.Length && int.TryParse(name.AsSpan(semaphore.Length, end - semaphore.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0)
            {
                permits = p;
            }
        }

        entry = new ZooKeeperQueueEntry(name, sequence, access, permits);
        return true;
    }

    /// <summary>
    /// Parses a node of Apache Curator's lock layout (<see cref="ZooKeeperLayout.Curator"/>): the server's ten-digit
    /// sequence right after the recipe's name, as Curator sorts them. A lock's queue is the <c>…lock-{sequence}</c>
    /// nodes (<c>InterProcessMutex</c>); a reader-writer lock's is the <c>…__READ__{sequence}</c> (shared) and
    /// <c>…__WRIT__{sequence}</c> (exclusive) nodes, so a lock and a reader-writer lock of one name stay apart.
    /// </summary>
    public static bool TryParseCurator(string name, bool readerWriter, out ZooKeeperQueueEntry entry)
    {
        entry = default;
        if (name.Length < SequenceDigits ||
            !long.TryParse(name.AsSpan(name.Length - SequenceDigits), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return false;
        }

        var recipe = name.AsSpan(0, name.Length - SequenceDigits);
        LockAccess access;
        if (!readerWriter && recipe.EndsWith(ZooKeeperLayout.CuratorLockName, StringComparison.Ordinal))
        {
            access = LockAccess.Exclusive;
        }
        else if (readerWriter && recipe.EndsWith(ZooKeeperLayout.CuratorWriteName, StringComparison.Ordinal))
        {
            access = LockAccess.Exclusive;
        }
        else if (readerWriter && recipe.EndsWith(ZooKeeperLayout.CuratorReadName, StringComparison.Ordinal))
        {
            access = LockAccess.Shared;
        }
        else
        {
            return false;
        }

        entry = new ZooKeeperQueueEntry(name, sequence, access, 1);
        return true;
    }

    /// <summary>The queue, oldest first, from a listing of children.</summary>
    public static List<ZooKeeperQueueEntry> ParseAll(IEnumerable<string> children) => Sorted(children, TryParse);

    /// <summary>The queue of a Curator-layout lock or reader-writer lock, oldest first (<see cref="TryParseCurator"/>).</summary>
    public static List<ZooKeeperQueueEntry> ParseAllCurator(IEnumerable<string> children, bool readerWriter) =>
        Sorted(children, readerWriter
            ? static (string name, out ZooKeeperQueueEntry entry) => TryParseCurator(name, readerWriter: true, out entry)
            : static (string name, out ZooKeeperQueueEntry entry) => TryParseCurator(name, readerWriter: false, out entry));

    private delegate bool Parser(string name, out ZooKeeperQueueEntry entry);

    private static List<ZooKeeperQueueEntry> Sorted(IEnumerable<string> children, Parser parse)
    {
        var queue = new List<ZooKeeperQueueEntry>();
        foreach (var child in children)
        {
            if (parse(child, out var entry))
            {
                queue.Add(entry);
            }
        }

        queue.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
        return queue;
    }
}
