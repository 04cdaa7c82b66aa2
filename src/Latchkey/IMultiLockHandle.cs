namespace Latchkey;

/// <summary>
/// Several locks held together, taken all or none by
/// <see cref="LockProviderExtensions.AcquireAllAsync"/>. <see cref="ILockHandle.Lost"/> fires when any member
/// is lost; releasing or disposing releases every member.
/// </summary>
/// <remarks>
/// <see cref="ILockHandle.Name"/> is the members' names joined by commas and <see cref="ILockHandle.FencingToken"/>
/// is the first member's (in the order they were taken); give each resource the token of its own lock,
/// from <see cref="Members"/>.
/// </remarks>
public interface IMultiLockHandle : ILockHandle
{
    /// <summary>The members, in the order they were taken: sorted by escaped name, the global order that keeps two callers with overlapping sets from deadlocking.</summary>
    IReadOnlyList<ILockHandle> Members { get; }
}
