namespace Latchkey;

/// <summary>Whether a holder excludes everyone else or shares with other shared holders.</summary>
public enum LockAccess
{
    /// <summary>Excludes every other holder (a lock, a writer, a leader, a semaphore permit).</summary>
    Exclusive,

    /// <summary>Shares with other shared holders (a reader).</summary>
    Shared,
}
