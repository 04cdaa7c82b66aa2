namespace Latchkey.ZooKeeper.Client;

/// <summary>A watch firing, or a session state change delivered to every watcher that is still registered.</summary>
/// <param name="Type">What happened to the node, or <see cref="WatchedEventType.None"/> for a session state change.</param>
/// <param name="State">The session state when the event was delivered.</param>
/// <param name="Path">The node's path (relative to the chroot), or <see langword="null"/> for a state change.</param>
internal sealed record WatchedEvent(WatchedEventType Type, ZooKeeperSessionState State, string? Path);
