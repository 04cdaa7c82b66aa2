using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Latchkey.Embedded;

/// <summary>
/// Who holds a lock file: written by the holder at <see cref="FileFence.End"/> of the file it holds, read
/// by anyone for <see cref="Backend.LockBackend.GetStatusAsync"/>. Only trusted while a probe shows the file
/// is locked, since a dead holder's record stays behind. Waiter and reader files (<see cref="FileParticipantFile"/>) hold one too. A checksum catches a read that overlapped a write.
/// </summary>
internal sealed record FileHolderInfo(int ProcessId, long Token, DateTimeOffset Since, string? Value, LockAccess Access = LockAccess.Exclusive)
{
    private const uint Magic = 0x4C4B_484F; // "LKHO"
    private const int HeaderLength = 16;
    private const int FixedPayload = 4 + 8 + 8 + 1 + 1;

    public void Write(SafeFileHandle file, long offset = FileFence.End)
    {
        var valueBytes = Value is null ? 0 : Encoding.UTF8.GetByteCount(Value);
        var payloadLength = FixedPayload + valueBytes;
        var buffer = new byte[HeaderLength + payloadLength];
        var payload = buffer.AsSpan(HeaderLength);
        BinaryPrimitives.WriteInt32LittleEndian(payload, ProcessId);
        BinaryPrimitives.WriteInt64LittleEndian(payload[4..], Token);
        BinaryPrimitives.WriteInt64LittleEndian(payload[12..], Since.ToUnixTimeMilliseconds());
        payload[20] = Value is null ? (byte)0 : (byte)1;
        payload[21] = (byte)Access;
        if (Value is not null)
        {
            Encoding.UTF8.GetBytes(Value, payload[FixedPayload..]);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(buffer, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(4), payloadLength);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(8), Checksum(payload));
        RandomAccess.Write(file, buffer, offset);
    }

    /// <summary>Reads the record, or <see langword="null"/> if there is none or it stays inconsistent.</summary>
    public static FileHolderInfo? Read(SafeFileHandle file, long offset = FileFence.End)
    {
        var buffer = new byte[512];
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var read = RandomAccess.Read(file, buffer, offset);
            if (read < HeaderLength || BinaryPrimitives.ReadUInt32LittleEndian(buffer) != Magic)
            {
                return null;
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(4));
            if (length is < FixedPayload or > (1024 * 1024))
            {
                continue;
            }

            if (HeaderLength + length > buffer.Length)
            {
                buffer = new byte[HeaderLength + length];
                read = RandomAccess.Read(file, buffer, offset);
            }

            if (read < HeaderLength + length)
            {
                continue;
            }

            var payload = buffer.AsSpan(HeaderLength, length);
            if (BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(8)) != Checksum(payload))
            {
                continue; // Overlapped a write: read again.
            }

            var value = payload[20] == 0 ? null : Encoding.UTF8.GetString(payload[FixedPayload..]);
            return new FileHolderInfo(
                BinaryPrimitives.ReadInt32LittleEndian(payload),
                BinaryPrimitives.ReadInt64LittleEndian(payload[4..]),
                DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(payload[12..])),
                value,
                (LockAccess)payload[21]);
        }

        return null;
    }

    // FNV-1a: stable across processes, unlike HashCode.
    private static ulong Checksum(ReadOnlySpan<byte> data)
    {
        var hash = 0xCBF2_9CE4_8422_2325UL;
        foreach (var b in data)
        {
            hash = (hash ^ b) * 0x0000_0100_0000_01B3UL;
        }

        return hash;
    }
}
