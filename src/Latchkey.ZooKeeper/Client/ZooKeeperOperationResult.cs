namespace Latchkey.ZooKeeper.Client;

/// <summary>The result of one operation of a multi.</summary>
/// <param name="Error">The operation's error code; when a multi fails, every result carries an error (the failing one its own).</param>
/// <param name="Path">The created path, for a create.</param>
/// <param name="Stat">The node's metadata, for a set-data (a create inside a multi gets only its path back from the server).</param>
public sealed record ZooKeeperOperationResult(ZooKeeperErrorCode Error, string? Path = null, ZooKeeperStat? Stat = null);
