using System.IO.MemoryMappedFiles;

namespace Latchkey.Cli.Bench;

/// <summary>
/// Per lock: who released it last and when (a Stopwatch timestamp), how many times it was granted, since
/// when a release that left waiters behind has gone unserved, and how many contenders wait for it. A
/// contender writes while it holds the lock (so the lock itself orders those writes and reads), except the
/// count of waiters, which changes atomically as a contender starts and stops waiting. Shared between
/// processes through a memory-mapped file; Stopwatch timestamps come from the system's monotonic clock on
/// Linux, which every process on the machine shares.
/// </summary>
public sealed unsafe class ReleaseBoard : IDisposable
{
    private const int Fields = 6; // owner, release, grants, unserved since, waiting, (padding)
    private const int SlotSize = Fields * sizeof(long);
    private const int Owner = 0;
    private const int Release = 1;
    private const int Grants = 2;
    private const int UnservedSince = 3;
    private const int Waiting = 4;

    private readonly long[]? _slots;
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly long* _shared;

    private ReleaseBoard(long[]? slots, MemoryMappedFile? file, MemoryMappedViewAccessor? view)
    {
        _slots = slots;
        _file = file;
        _view = view;
        if (view is not null)
        {
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            _shared = (long*)(pointer + view.PointerOffset);
        }
    }

    /// <summary>A board for contenders of this process only.</summary>
    public static ReleaseBoard InProcess(int locks)
    {
        var slots = new long[locks * Fields];
        for (var i = 0; i < locks; i++)
        {
            slots[i * Fields] = -1;
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

    /// <summary>A contender starts waiting for lock <paramref name="lockIndex"/>: the grants so far, to count the turns it waits.</summary>
    public long StartWaiting(int lockIndex)
    {
        Interlocked.Increment(ref Field(lockIndex, Waiting));
        return Volatile.Read(ref Field(lockIndex, Grants));
    }

    /// <summary>
    /// The contender that asked at <paramref name="asked"/> holds lock <paramref name="lockIndex"/> now, at
    /// <paramref name="acquired"/>. Returns the last release (contender −1 when none yet), how many times the
    /// lock went to others since <paramref name="grantsWhenAsked"/>, and the hand-off: the time since the first
    /// release that left waiters behind, if this contender was one of them (else −1). A release after which the
    /// releaser or a newcomer took the lock again is not served until a contender that waited then gets it, so a
    /// lock that lets releasers barge back in pays for that here.
    /// </summary>
    public (long LastOwner, long LastRelease, long TurnsWaited, long Handoff) Acquired(int lockIndex, long grantsWhenAsked, long asked, long acquired)
    {
        Interlocked.Decrement(ref Field(lockIndex, Waiting));
        var grants = Volatile.Read(ref Field(lockIndex, Grants));
        Volatile.Write(ref Field(lockIndex, Grants), grants + 1);
        var handoff = -1L;
        var unservedSince = Volatile.Read(ref Field(lockIndex, UnservedSince));
        if (unservedSince != 0 && asked <= unservedSince)
        {
            handoff = acquired - unservedSince;
            Volatile.Write(ref Field(lockIndex, UnservedSince), 0);
        }

        return (Volatile.Read(ref Field(lockIndex, Owner)), Volatile.Read(ref Field(lockIndex, Release)), grants - grantsWhenAsked, handoff);
    }

    /// <summary>Records that <paramref name="contender"/> is releasing lock <paramref name="lockIndex"/> at <paramref name="timestamp"/>.</summary>
    public void Write(int lockIndex, long contender, long timestamp)
    {
        Volatile.Write(ref Field(lockIndex, Owner), contender);
        Volatile.Write(ref Field(lockIndex, Release), timestamp);
        if (Volatile.Read(ref Field(lockIndex, Waiting)) > 0 && Volatile.Read(ref Field(lockIndex, UnservedSince)) == 0)
        {
            Volatile.Write(ref Field(lockIndex, UnservedSince), timestamp);
        }
    }

    /// <summary>Reads the last release of lock <paramref name="lockIndex"/>: contender −1 when none yet.</summary>
    public (long Contender, long Timestamp) Read(int lockIndex) =>
        (Volatile.Read(ref Field(lockIndex, Owner)), Volatile.Read(ref Field(lockIndex, Release)));

    private ref long Field(int lockIndex, int field) =>
        ref _slots is not null ? ref _slots[(lockIndex * Fields) + field] : ref _shared[(lockIndex * Fields) + field];

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }

        _view?.Dispose();
        _file?.Dispose();
    }
}
