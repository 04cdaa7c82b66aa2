namespace Latchkey;

/// <summary>A snapshot of a primitive's holders and waiters, oldest first.</summary>
/// <param name="Kind">The kind of primitive.</param>
/// <param name="Name">Its name.</param>
/// <param name="Holders">Who holds it now.</param>
/// <param name="Waiters">Who waits for it, in the order they will be served where the backend is fair.</param>
public sealed record LockStatus(LockKind Kind, string Name, IReadOnlyList<LockParticipant> Holders, IReadOnlyList<LockParticipant> Waiters)
{
    /// <summary>Whether anyone holds it.</summary>
    public bool IsHeld => Holders.Count > 0;
}
