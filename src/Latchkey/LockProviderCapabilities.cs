namespace Latchkey;

/// <summary>What a backend promises. The conformance suite checks every promise a backend makes here.</summary>
public sealed record LockProviderCapabilities
{
    /// <summary>The backend's name, as in its connection-string scheme.</summary>
    public required string Backend { get; init; }

    /// <summary>Waiters are served first come, first served.</summary>
    public required bool Fair { get; init; }

    /// <summary>A release wakes only the waiter that will get the lock, not every waiter.</summary>
    public required bool HerdFree { get; init; }

    /// <summary>
    /// Fencing tokens survive a restart of the backend (they never go backwards). When false, tokens
    /// increase only as long as the backend keeps its state.
    /// </summary>
    public required bool DurableFencingTokens { get; init; }

    /// <summary>Processes on different machines can share the locks.</summary>
    public required bool CrossMachine { get; init; }

    /// <summary>Processes on one machine can share the locks (false only for an in-process backend).</summary>
    public required bool CrossProcess { get; init; }

    /// <summary>A holder that stops renewing loses the lock after its TTL (false where the OS frees it at process exit instead).</summary>
    public required bool Leases { get; init; }
}
