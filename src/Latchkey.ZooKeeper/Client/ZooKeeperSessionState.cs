namespace Latchkey.ZooKeeper.Client;

/// <summary>The state of a client's session (the values of ZooKeeper's <c>KeeperState</c> where they exist).</summary>
internal enum ZooKeeperSessionState
{
    /// <summary>The connection dropped; the client is reconnecting and the session may still be alive.</summary>
    Disconnected = 0,

    /// <summary>Connected, the session is alive.</summary>
    Connected = 3,

    /// <summary>The server refused the credentials.</summary>
    AuthFailed = 4,

    /// <summary>
    /// The session is over: the server said it expired, or no server answered for longer than the session
    /// could still be alive. Its ephemeral nodes are gone or going; the client cannot be used again.
    /// </summary>
    Expired = -112,

    /// <summary>The client was closed.</summary>
    Closed = 7,
}
