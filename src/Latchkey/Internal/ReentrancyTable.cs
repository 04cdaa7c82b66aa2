using System.Collections.Concurrent;
using Latchkey.Backend;

namespace Latchkey.Internal;

/// <summary>The reentrant holds of one provider, keyed by async flow and primitive.</summary>
internal sealed class ReentrancyTable
{
    private readonly ConcurrentDictionary<ReentrancyKey, ReentrantEntry> _entries = new();

    public bool TryEnter(ReentrancyKey key, out LockHandle? handle)
    {
        handle = null;
        if (!_entries.TryGetValue(key, out var entry))
        {
            return false;
        }

        lock (entry)
        {
            if (entry.Count == 0)
            {
                return false;
            }

            if (entry.Lease.Lost.IsCancellationRequested)
            {
                throw new LockLostException($"'{key.Name}' is held by this flow but was lost; release the outer handle first.");
            }

            entry.Count++;
            handle = entry.Factory(entry, this);
            return true;
        }
    }

    public LockHandle Enter(ReentrancyKey key, LockAcquisition lease, Func<ReentrantEntry, ReentrancyTable, LockHandle> factory)
    {
        var entry = new ReentrantEntry(key, lease, factory) { Count = 1 };
        _entries[key] = entry;
        return factory(entry, this);
    }

    /// <summary>Drops one hold; true when it was the outermost, so the lease must be released.</summary>
    public bool Exit(ReentrantEntry entry)
    {
        lock (entry)
        {
            if (--entry.Count > 0)
            {
                return false;
            }

            _entries.TryRemove(new KeyValuePair<ReentrancyKey, ReentrantEntry>(entry.Key, entry));
            return true;
        }
    }
}

internal readonly record struct ReentrancyKey(FlowOwner Owner, LockKind Kind, string Name, LockAccess Access);

internal sealed class ReentrantEntry(ReentrancyKey key, LockAcquisition lease, Func<ReentrantEntry, ReentrancyTable, LockHandle> factory)
{
    public ReentrancyKey Key { get; } = key;

    public LockAcquisition Lease { get; } = lease;

    public Func<ReentrantEntry, ReentrancyTable, LockHandle> Factory { get; } = factory;

    public int Count { get; set; }
}
