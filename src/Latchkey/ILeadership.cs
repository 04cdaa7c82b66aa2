namespace Latchkey;

/// <summary>Leadership held in an election. Disposing it resigns.</summary>
public interface ILeadership : ILockHandle
{
    /// <summary>The value this leader announces.</summary>
    string Value { get; }

    /// <summary>Announces a new value without giving up leadership.</summary>
    /// <exception cref="LockLostException">Leadership was lost.</exception>
    ValueTask ProclaimAsync(string value, CancellationToken cancellationToken = default);

    /// <summary>Gives up leadership so the next candidate takes over. Same as <see cref="ILockHandle.ReleaseAsync"/>.</summary>
    ValueTask ResignAsync();
}
