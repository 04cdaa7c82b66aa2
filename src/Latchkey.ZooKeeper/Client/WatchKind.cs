namespace Latchkey.ZooKeeper.Client;

/// <summary>The three one-shot watch tables of a session, as ZooKeeper keeps them.</summary>
internal enum WatchKind
{
    /// <summary>Set by getData, or exists on a node that exists: fires on data change and delete.</summary>
    Data,

    /// <summary>Set by exists on a node that does not exist: fires on create.</summary>
    Exist,

    /// <summary>Set by getChildren: fires on a change of the children and on delete.</summary>
    Child,
}
