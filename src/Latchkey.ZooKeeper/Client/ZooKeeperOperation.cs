namespace Latchkey.ZooKeeper.Client;

/// <summary>One operation of a multi (an atomic transaction): create, delete, set data or version check.</summary>
public sealed class ZooKeeperOperation
{
    private ZooKeeperOperation(int opCode, string path, ReadOnlyMemory<byte> data, int version, CreateMode mode, IReadOnlyList<ZooKeeperAcl>? acl)
    {
        OpCode = opCode;
        Path = path;
        Data = data;
        Version = version;
        Mode = mode;
        Acl = acl;
    }

    /// <summary>The node's path, relative to the chroot.</summary>
    public string Path { get; }

    internal int OpCode { get; }

    internal ReadOnlyMemory<byte> Data { get; }

    internal int Version { get; }

    internal CreateMode Mode { get; }

    internal IReadOnlyList<ZooKeeperAcl>? Acl { get; }

    /// <summary>Creates a node (its result carries the path and the <see cref="ZooKeeperStat"/>).</summary>
    public static ZooKeeperOperation Create(string path, ReadOnlyMemory<byte> data, CreateMode mode, IReadOnlyList<ZooKeeperAcl>? acl = null) =>
        new(mode == CreateMode.Container ? Client.OpCode.CreateContainer : Client.OpCode.Create2, path, data, -1, mode, acl);

    /// <summary>Deletes a node if its version matches (-1: any version).</summary>
    public static ZooKeeperOperation Delete(string path, int version = -1) =>
        new(Client.OpCode.Delete, path, default, version, default, null);

    /// <summary>Sets a node's data if its version matches (-1: any version).</summary>
    public static ZooKeeperOperation SetData(string path, ReadOnlyMemory<byte> data, int version = -1) =>
        new(Client.OpCode.SetData, path, data, version, default, null);

    /// <summary>Fails the multi unless the node's version matches.</summary>
    public static ZooKeeperOperation Check(string path, int version) =>
        new(Client.OpCode.Check, path, default, version, default, null);
}
