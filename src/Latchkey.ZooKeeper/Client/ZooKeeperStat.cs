namespace Latchkey.ZooKeeper.Client;

/// <summary>A node's metadata, as ZooKeeper's <c>Stat</c> record carries it.</summary>
/// <param name="Czxid">The transaction id that created the node: global, increasing forever.</param>
/// <param name="Mzxid">The transaction id that last changed its data.</param>
/// <param name="Ctime">Creation time, milliseconds since the Unix epoch.</param>
/// <param name="Mtime">Last modification time, milliseconds since the Unix epoch.</param>
/// <param name="Version">The number of changes to its data.</param>
/// <param name="Cversion">The number of changes to its children.</param>
/// <param name="Aversion">The number of changes to its ACL.</param>
/// <param name="EphemeralOwner">The session id of its owner if ephemeral, else 0.</param>
/// <param name="DataLength">The length of its data.</param>
/// <param name="NumChildren">The number of its children.</param>
/// <param name="Pzxid">The transaction id that last changed its children.</param>
internal sealed record ZooKeeperStat(
    long Czxid,
    long Mzxid,
    long Ctime,
    long Mtime,
    int Version,
    int Cversion,
    int Aversion,
    long EphemeralOwner,
    int DataLength,
    int NumChildren,
    long Pzxid);
