using System.Collections.Concurrent;

namespace Latchkey.ZooKeeper;

/// <summary>
/// The acquisitions a provider holds, so that closing it marks them released (closing the session deletes
/// their nodes at once) instead of lost.
/// </summary>
internal sealed class ZooKeeperHeldAcquisitions
{
    private readonly ConcurrentDictionary<ZooKeeperLockAcquisition, byte> _held = new();

    public void Add(ZooKeeperLockAcquisition acquisition) => _held.TryAdd(acquisition, 0);

    public void Remove(ZooKeeperLockAcquisition acquisition) => _held.TryRemove(acquisition, out _);

    public void MarkAllReleased()
    {
        foreach (var acquisition in _held.Keys)
        {
            acquisition.MarkReleased();
        }
    }
}
