namespace Latchkey.Internal;

/// <summary>
/// The identity of one async flow for reentrancy. It lives in an <see cref="AsyncLocal{T}"/> set from the
/// synchronous part of a public acquire method, so that it flows back to the caller (an async method
/// would restore the caller's context on return and lose it).
/// </summary>
internal sealed class FlowOwner
{
    private static readonly AsyncLocal<FlowOwner?> Current = new();

    public static FlowOwner ForCurrentFlow()
    {
        var owner = Current.Value;
        if (owner is null)
        {
            owner = new FlowOwner();
            Current.Value = owner;
        }

        return owner;
    }

    public static FlowOwner? For(LockOptions options) => options.Reentrant ? ForCurrentFlow() : null;
}
