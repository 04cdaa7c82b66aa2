namespace Latchkey.Backend;

/// <summary>One acquire, as the core hands it to a backend: validated, with its key already escaped.</summary>
public readonly record struct LockRequest
{
    /// <summary>The kind of primitive (each kind has its own key space).</summary>
    public required LockKind Kind { get; init; }

    /// <summary>The name as the user gave it.</summary>
    public required string Name { get; init; }

    /// <summary>The name escaped by <see cref="LockName.Escape"/>: ASCII letters, digits, <c>._-~</c> and <c>%XX</c>; never <c>/</c>.</summary>
    public required string EscapedName { get; init; }

    /// <summary>Exclusive, or shared (a reader).</summary>
    public required LockAccess Access { get; init; }

    /// <summary>How many exclusive holders the primitive admits at once: 1, or a semaphore's permits.</summary>
    public required int Permits { get; init; }

    /// <summary>The lock's validated options.</summary>
    public required LockOptions Options { get; init; }

    /// <summary>
    /// When false, make one attempt and return <see langword="null"/> if the lock is taken, leaving nothing queued.
    /// When true, wait until acquired or the cancellation token fires.
    /// </summary>
    public required bool Wait { get; init; }

    /// <summary>The election value of a candidate; <see langword="null"/> for other kinds.</summary>
    public string? Value { get; init; }
}
