namespace Latchkey.ZooKeeper.Client;

/// <summary>What a watch event reports (ZooKeeper's <c>EventType</c> values).</summary>
internal enum WatchedEventType
{
    /// <summary>A change of the session's state, not of a node.</summary>
    None = -1,

    /// <summary>The node was created.</summary>
    NodeCreated = 1,

    /// <summary>The node was deleted.</summary>
    NodeDeleted = 2,

    /// <summary>The node's data changed.</summary>
    NodeDataChanged = 3,

    /// <summary>The node's children changed.</summary>
    NodeChildrenChanged = 4,
}
