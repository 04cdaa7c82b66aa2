namespace Latchkey.ZooKeeper.Client;

/// <summary>The reserved request ids of the client protocol (ZooKeeper's <c>ClientCnxn</c>); ordinary requests count up from 1.</summary>
internal static class Xid
{
    public const int Notification = -1;
    public const int Ping = -2;
    public const int Auth = -4;
    public const int SetWatches = -8;
}
