namespace Latchkey.ZooKeeper.Client;

/// <summary>The reply to a listing of a node's children.</summary>
/// <param name="Children">The children's names (not paths), in no particular order.</param>
/// <param name="Stat">The parent's metadata.</param>
internal sealed record ZooKeeperChildrenResult(IReadOnlyList<string> Children, ZooKeeperStat Stat);
