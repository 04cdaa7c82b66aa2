namespace Latchkey.ZooKeeper.Client;

/// <summary>How a node is created (the wire values are ZooKeeper's <c>CreateMode</c> flags).</summary>
internal enum CreateMode
{
    /// <summary>Stays until deleted.</summary>
    Persistent = 0,

    /// <summary>Deleted when the creating session ends.</summary>
    Ephemeral = 1,

    /// <summary>Persistent, with a 10-digit increasing counter appended to the name.</summary>
    PersistentSequential = 2,

    /// <summary>Ephemeral, with a 10-digit increasing counter appended to the name.</summary>
    EphemeralSequential = 3,

    /// <summary>Persistent, but deleted by the server some time after its last child is deleted.</summary>
    Container = 4,
}
