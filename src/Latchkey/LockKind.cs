namespace Latchkey;

/// <summary>The kind of primitive a name belongs to. Each kind has its own key space, so a lock and a semaphore of one name are unrelated.</summary>
public enum LockKind
{
    /// <summary>A mutual-exclusion lock.</summary>
    Lock,

    /// <summary>A reader-writer lock.</summary>
    ReaderWriter,

    /// <summary>A counting semaphore.</summary>
    Semaphore,

    /// <summary>A leader election.</summary>
    Election,
}
