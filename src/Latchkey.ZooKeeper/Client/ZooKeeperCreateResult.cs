namespace Latchkey.ZooKeeper.Client;

/// <summary>The reply to a create.</summary>
/// <param name="Path">The created node's path (with the sequence suffix for sequential nodes), relative to the chroot.</param>
/// <param name="Stat">The created node's metadata; <see cref="ZooKeeperStat.Czxid"/> is its creation's transaction id.</param>
internal sealed record ZooKeeperCreateResult(string Path, ZooKeeperStat Stat);
