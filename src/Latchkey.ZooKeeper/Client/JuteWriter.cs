using System.Buffers.Binary;
using System.Text;

namespace Latchkey.ZooKeeper.Client;

/// <summary>
/// Writes Jute records (ZooKeeper's serialization): big-endian <c>int</c>/<c>long</c>, one-byte
/// <c>boolean</c>, and <c>buffer</c>/<c>ustring</c>/<c>vector</c> as a 4-byte length (-1 for null) then the items.
/// </summary>
internal sealed class JuteWriter
{
    private byte[] _buffer;
    private int _position;

    public JuteWriter(int capacity = 256) => _buffer = new byte[capacity];

    public int Length => _position;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _position);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _position);

    /// <summary>The buffer itself, so a sender can patch a request's xid in place.</summary>
    public byte[] Buffer => _buffer;

    /// <summary>Starts a length-prefixed frame: reserves the 4-byte length that <see cref="EndFrame"/> fills in.</summary>
    public int BeginFrame()
    {
        var start = _position;
        WriteInt(0);
        return start;
    }

    public void EndFrame(int start) =>
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(start), _position - start - 4);

    public void WriteInt(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(Reserve(4), value);
    }

    public void WriteLong(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(Reserve(8), value);
    }

    public void WriteBool(bool value) => Reserve(1)[0] = value ? (byte)1 : (byte)0;

    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt(value.Length);
        value.CopyTo(Reserve(value.Length));
    }

    public void WriteNullBuffer() => WriteInt(-1);

    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt(-1);
            return;
        }

        var count = Encoding.UTF8.GetByteCount(value);
        WriteInt(count);
        Encoding.UTF8.GetBytes(value, Reserve(count));
    }

    public void WriteStringVector(IReadOnlyCollection<string>? values)
    {
        if (values is null)
        {
            WriteInt(-1);
            return;
        }

        WriteInt(values.Count);
        foreach (var value in values)
        {
            WriteString(value);
        }
    }

    public void Reset() => _position = 0;

    private Span<byte> Reserve(int count)
    {
        if (_position + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _position + count));
        }

        var span = _buffer.AsSpan(_position, count);
        _position += count;
        return span;
    }
}
