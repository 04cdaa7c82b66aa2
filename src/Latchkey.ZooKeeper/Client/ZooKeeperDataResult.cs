namespace Latchkey.ZooKeeper.Client;

/// <summary>The reply to a read of a node's data.</summary>
/// <param name="Data">The data (empty if the node has none).</param>
/// <param name="Stat">The node's metadata.</param>
internal sealed record ZooKeeperDataResult(byte[] Data, ZooKeeperStat Stat);
