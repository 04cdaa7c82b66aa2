using System.IO.MemoryMappedFiles;

namespace Latchkey.Bench;

/// <summary>
/// Per lock, who released it last and when (a Stopwatch timestamp). A contender writes its slot just
/// before it releases and reads it just after it acquires, so the lock itself orders the two. Shared
/// between processes through a memory-mapped file; Stopwatch timestamps come from the system's
/// monotonic clock on Linux, which every process on the machine shares.
/// </summary>
public sealed class ReleaseBoard : IDisposable
{
    private const int SlotSize = 16;

    private readonly long[]? _slots;
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;

    private ReleaseBoard(long[]? slots, MemoryMappedFile? file, MemoryMappedViewAccessor? view)
    {
        _slots = slots;
        _file = file;
        _view = view;
    }

    /// <summary>A board for contenders of this process only.</summary>
    public static ReleaseBoard InProcess(int locks)
    {
        var slots = new long[locks * 2];
        for (var i = 0; i < locks; i++)
        {
            slots[i * 2] = -1;
        }

        return new ReleaseBoard(slots, null, null);
    }

    /// <summary>Creates (when <paramref name="create"/>) or opens a board in a file shared by several processes.</summary>
    public static ReleaseBoard Shared(string path, int locks, bool create)
    {
        var capacity = (long)locks * SlotSize;
        var file = MemoryMappedFile.CreateFromFile(path, create ? FileMode.CreateNew : FileMode.Open, null, capacity, MemoryMappedFileAccess.ReadWrite);
        var view = file.CreateViewAccessor(0, capacity);
        if (create)
        {
            for (var i = 0; i < locks; i++)
            {
                view.Write(i * SlotSize, -1L);
            }

            view.Flush();
        }

        return new ReleaseBoard(null, file, view);
    }

    /// <summary>Records that <paramref name="contender"/> is releasing lock <paramref name="lockIndex"/> at <paramref name="timestamp"/>.</summary>
    public void Write(int lockIndex, long contender, long timestamp)
    {
        if (_slots is not null)
        {
            _slots[lockIndex * 2] = contender;
            _slots[(lockIndex * 2) + 1] = timestamp;
        }
        else
        {
            _view!.Write(lockIndex * SlotSize, contender);
            _view.Write((lockIndex * SlotSize) + 8, timestamp);
        }
    }

    /// <summary>Reads the last release of lock <paramref name="lockIndex"/>: contender −1 when none yet.</summary>
    public (long Contender, long Timestamp) Read(int lockIndex) =>
        _slots is not null
            ? (_slots[lockIndex * 2], _slots[(lockIndex * 2) + 1])
            : (_view!.ReadInt64(lockIndex * SlotSize), _view.ReadInt64((lockIndex * SlotSize) + 8));

    /// <inheritdoc/>
    public void Dispose()
    {
        _view?.Dispose();
        _file?.Dispose();
    }
}
