using System.Collections.Concurrent;

namespace Latchkey.Embedded;

/// <summary>The locks of one <c>memory://</c> space, shared by every provider in the process that names it.</summary>
internal sealed class MemoryLockSpace
{
    private static readonly ConcurrentDictionary<string, MemoryLockSpace> Spaces = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(LockKind Kind, string Name), MemoryLockState> _states = new();

    public static MemoryLockSpace Named(string name) => Spaces.GetOrAdd(name, static _ => new MemoryLockSpace());

    public MemoryLockState Get(LockKind kind, string name) =>
        _states.GetOrAdd((kind, name), static key => new MemoryLockState(key.Kind, key.Name));
}
