namespace Latchkey.ZooKeeper.Client;

/// <summary>Request types of the client protocol (ZooKeeper's <c>ZooDefs.OpCode</c>).</summary>
internal static class OpCode
{
    public const int Create = 1;
    public const int Delete = 2;
    public const int Exists = 3;
    public const int GetData = 4;
    public const int SetData = 5;
    public const int Ping = 11;
    public const int GetChildren2 = 12;
    public const int Create2 = 15;
    public const int RemoveWatches = 18;
    public const int CreateContainer = 19;
    public const int Auth = 100;
    public const int SetWatches = 101;
    public const int CloseSession = -11;
}
