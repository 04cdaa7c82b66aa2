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
    /// Parses a node of Apache Curator's lock layout (<see cref="ZooKeeperLayout.Curator"/>): any name ending in the
    /// server's ten-digit sequence takes part; one holding <c>__READ__</c> is shared (Curator's reader), every other
    /// one exclusive (<c>…-lock-</c> of a mutex, <c>…-__WRIT__</c> of a writer), as Curator's readers count them.
    /// </summary>
    public static bool TryParseCurator(string name, out ZooKeeperQueueEntry entry)
    {
        entry = default;
        if (name.Length < SequenceDigits ||
            !long.TryParse(name.AsSpan(name.Length - SequenceDigits), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return false;
        }

        var access = name.Contains(ZooKeeperLayout.CuratorReadName, StringComparison.Ordinal) ? LockAccess.Shared : LockAccess.Exclusive;
        entry = new ZooKeeperQueueEntry(name, sequence, access, 1);
        return true;
    }

    /// <summary>The queue, oldest first, from a listing of children.</summary>
    public static List<ZooKeeperQueueEntry> ParseAll(IEnumerable<string> children) => Sorted(children, TryParse);

    /// <summary>The queue of a Curator-layout lock, oldest first (<see cref="TryParseCurator"/>).</summary>
    public static List<ZooKeeperQueueEntry> ParseAllCurator(IEnumerable<string> children) => Sorted(children, TryParseCurator);

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
