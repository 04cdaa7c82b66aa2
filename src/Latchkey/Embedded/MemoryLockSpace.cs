using System.Collections.Concurrent;

namespace Latchkey.Embedded;

/// <summary>
/// The locks of one <c>memory://</c> space, shared by every provider in the process that names it. A name's
/// state that has no holder, waiter or watcher retires once the space has more than
/// <see cref="IdleStatesKept"/> states: a service that locks per order id does not grow the space, and a few
/// busy names do not pay for a new state on every acquire. Fencing tokens come from one counter of the
/// space, so they keep increasing per name across a state's retirement.
/// </summary>
internal sealed class MemoryLockSpace
{
    /// <summary>How many states a space keeps before idle ones retire.</summary>
    public const int IdleStatesKept = 1024;

    private static readonly ConcurrentDictionary<string, MemoryLockSpace> Spaces = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(LockKind Kind, string Name), MemoryLockState> _states = new();
    private long _lastToken;
    private int _stateCount; // ConcurrentDictionary.Count takes every bucket's lock: too dear for each release

    public static MemoryLockSpace Named(string name) => Spaces.GetOrAdd(name, static _ => new MemoryLockSpace());

    /// <summary>How many names have state now.</summary>
    public int StateCount => Volatile.Read(ref _stateCount);

    /// <summary>The name's state, made if it has none. It may be retired before the caller locks it: see <see cref="MemoryLockState"/>.</summary>
    public MemoryLockState Get(LockKind kind, string name)
    {
        while (true)
        {
            if (_states.TryGetValue((kind, name), out var state))
            {
                return state;
            }

            var created = new MemoryLockState(this, kind, name);
            if (_states.TryAdd((kind, name), created))
            {
                Interlocked.Increment(ref _stateCount);
                return created;
            }
        }
    }

    /// <summary>The name's state if it has one.</summary>
    public MemoryLockState? Find(LockKind kind, string name) => _states.GetValueOrDefault((kind, name));

    public long NextToken() => Interlocked.Increment(ref _lastToken);

    /// <summary>Takes <paramref name="state"/> out of the space; called by the state, under its lock, once it is idle.</summary>
    public void Retire(MemoryLockState state)
    {
        if (_states.TryRemove(new KeyValuePair<(LockKind, string), MemoryLockState>((state.Kind, state.Name), state)))
        {
            Interlocked.Decrement(ref _stateCount);
        }
    }
}
