using System.Buffers.Binary;
using System.Text;

namespace Latchkey.ZooKeeper.Client;

/// <summary>
/// Reads Jute records from one received frame. Any length that points past the end of the frame, or is
/// negative where null is not allowed, throws <see cref="ZooKeeperException"/>: a malformed
/// frame fails the connection instead of being half-read.
/// </summary>
internal ref struct JuteReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly int Remaining => _data.Length - _position;

    public int ReadInt() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long ReadLong() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public bool ReadBool() => Take(1)[0] != 0;

    public byte[]? ReadBuffer()
    {
        var length = ReadLength("buffer");
        return length < 0 ? null : Take(length).ToArray();
    }

    public string? ReadString()
    {
        var length = ReadLength("ustring");
        return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
    }

    public List<string> ReadStringVector()
    {
        var count = ReadLength("vector");
        if (count < 0)
        {
            return [];
        }

        // Each string takes at least its 4-byte length, so a count beyond that is malformed, not a reason to allocate.
        if (count > Remaining / 4)
        {
            throw new ZooKeeperException(ZooKeeperErrorCode.MarshallingError, $"Vector of {count} strings does not fit in the {Remaining} bytes left of the frame.");
        }

        var list = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(ReadString() ?? throw new ZooKeeperException(ZooKeeperErrorCode.MarshallingError, "Null string inside a vector of strings."));
        }

        return list;
    }

    public ZooKeeperStat ReadStat() => new(
        Czxid: ReadLong(),
        Mzxid: ReadLong(),
        Ctime: ReadLong(),
        Mtime: ReadLong(),
        Version: ReadInt(),
        Cversion: ReadInt(),
        Aversion: ReadInt(),
        EphemeralOwner: ReadLong(),
        DataLength: ReadInt(),
        NumChildren: ReadInt(),
        Pzxid: ReadLong());

    private int ReadLength(string what)
    {
        var length = ReadInt();
        if (length < -1)
        {
            throw new ZooKeeperException(ZooKeeperErrorCode.MarshallingError, $"Negative {what} length {length} in a frame from the server.");
        }

        return length;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw new ZooKeeperException(ZooKeeperErrorCode.MarshallingError, $"Frame from the server is truncated: needed {count} more bytes at offset {_position}, {Remaining} left.");
        }

        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}
