using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Latchkey.Embedded;

/// <summary>
/// The fencing-token counter of one primitive, kept in the first 4 KiB of a file that the caller holds
/// an exclusive flock on.
/// </summary>
/// <remarks>
/// An fsync costs milliseconds here (1.6 ms median measured on ext4), thirty times the budget of an
/// uncontended acquire, so tokens are reserved in blocks, as database sequences do:
/// <list type="bullet">
/// <item>A durable high-water mark, fsynced before any token above it is handed out, in two copies,
/// each in its own 512-byte sector with a check word, both rewritten every <see cref="Block"/> tokens.
/// A crash can tear a copy, but a copy it leaves unwritten still holds a mark at least as high as
/// every token issued.</item>
/// <item>The last issued token, with the boot id of the machine, written without fsync: every process
/// on the machine reads it from the page cache, and a process crash cannot lose it. After a reboot
/// (another boot id) or when it is unreadable, counting resumes above the durable mark.</item>
/// </list>
/// If both durable copies are unreadable (only tampering can do that), counting restarts above the
/// wall clock in microseconds, larger than any count this file could have reached.
/// </remarks>
internal static class FileFence
{
    /// <summary>Tokens reserved by one fsync.</summary>
    public const long Block = 4096;

    /// <summary>The fence occupies bytes [0, 1056) of its file; other data starts here.</summary>
    public const int End = 4096;

    private const int SlotB = 512;
    private const int Live = 1024;
    private const int LiveLength = 32;
    private const ulong DurableMagic = 0x4C4B_4645_4E43_4544; // "LKFENCED"
    private const ulong LiveMagic = 0x4C4B_4C49_5645_544B; // "LKLIVETK"

    private static readonly Lazy<(ulong Hi, ulong Lo)> BootId = new(ReadBootId);

    /// <summary>Advances the counter and returns the new token. The caller must hold an exclusive lock on <paramref name="file"/>.</summary>
    public static long Next(SafeFileHandle file, TimeProvider timeProvider)
    {
        Span<byte> buffer = stackalloc byte[Live + LiveLength];
        buffer.Clear();
        var read = RandomAccess.Read(file, buffer, 0);
        var a = ReadDurable(buffer[..16], read >= 16);
        var b = ReadDurable(buffer.Slice(SlotB, 16), read >= SlotB + 16);
        var reserved = Math.Max(a ?? 0, b ?? 0);
        if (a is null && b is null)
        {
            reserved = timeProvider.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        }

        var current = read >= Live + LiveLength ? ReadLive(buffer.Slice(Live, LiveLength)) : null;
        var next = (current is { } c && c <= reserved ? c : reserved) + 1;
        if (next > reserved)
        {
            // Both copies, then one fsync, before the token is handed out. A power loss before the fsync
            // completes can leave each copy old, new or torn, and every old copy already bounds the tokens
            // issued (none above it was handed out); only tampering can spoil both.
            Span<byte> durable = stackalloc byte[SlotB + 16];
            durable.Clear();
            var mark = next + Block;
            BinaryPrimitives.WriteInt64LittleEndian(durable, mark);
            BinaryPrimitives.WriteUInt64LittleEndian(durable[8..], (ulong)mark ^ DurableMagic);
            durable[..16].CopyTo(durable[SlotB..]);
            RandomAccess.Write(file, durable, 0);
            RandomAccess.FlushToDisk(file);
        }

        Span<byte> live = stackalloc byte[LiveLength];
        var (hi, lo) = BootId.Value;
        BinaryPrimitives.WriteInt64LittleEndian(live, next);
        BinaryPrimitives.WriteUInt64LittleEndian(live[8..], hi);
        BinaryPrimitives.WriteUInt64LittleEndian(live[16..], lo);
        BinaryPrimitives.WriteUInt64LittleEndian(live[24..], (ulong)next ^ hi ^ lo ^ LiveMagic);
        RandomAccess.Write(file, live, Live);
        return next;
    }

    private static long? ReadDurable(ReadOnlySpan<byte> slot, bool present)
    {
        if (!present || !slot.ContainsAnyExcept((byte)0))
        {
            return 0; // Never written.
        }

        var value = BinaryPrimitives.ReadInt64LittleEndian(slot);
        var check = BinaryPrimitives.ReadUInt64LittleEndian(slot[8..]);
        return value > 0 && check == ((ulong)value ^ DurableMagic) ? value : null;
    }

    private static long? ReadLive(ReadOnlySpan<byte> live)
    {
        var value = BinaryPrimitives.ReadInt64LittleEndian(live);
        var hi = BinaryPrimitives.ReadUInt64LittleEndian(live[8..]);
        var lo = BinaryPrimitives.ReadUInt64LittleEndian(live[16..]);
        var check = BinaryPrimitives.ReadUInt64LittleEndian(live[24..]);
        var boot = BootId.Value;
        return value > 0 && hi == boot.Hi && lo == boot.Lo && check == ((ulong)value ^ hi ^ lo ^ LiveMagic) ? value : null;
    }

    private static (ulong Hi, ulong Lo) ReadBootId()
    {
        try
        {
            var text = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
            if (Guid.TryParse(text, out var id))
            {
                Span<byte> bytes = stackalloc byte[16];
                id.TryWriteBytes(bytes);
                return (BinaryPrimitives.ReadUInt64LittleEndian(bytes), BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]));
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        // No boot id: a random one per process, so every process resumes above the durable mark
        // (correct, but every acquire then pays an fsync).
        var random = Guid.NewGuid();
        Span<byte> r = stackalloc byte[16];
        random.TryWriteBytes(r);
        return (BinaryPrimitives.ReadUInt64LittleEndian(r), BinaryPrimitives.ReadUInt64LittleEndian(r[8..]));
    }
}
