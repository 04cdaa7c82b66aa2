namespace Latchkey.Etcd;

/// <summary>
/// The measured optimizations layered on the plain create-revision queue (<see cref="EtcdQueue"/>), each behind a
/// seam of its own. All are on by default. Internal: tests switch them off with the connection string's internal
/// <c>optimizations=</c> parameter (<c>none</c>, or the names of those to keep on) to show that the plain algorithm
/// is correct on its own; it is not a user setting and may change without notice.
/// </summary>
[Flags]
internal enum EtcdOptimizations
{
    /// <summary>The plain algorithm: one entry transaction each, a fresh key each, every wait on etcd.</summary>
    None = 0,

    /// <summary>Entries and deletes that callers ask for together share one transaction (<see cref="EtcdBatcher"/>).</summary>
    Batching = 1,

    /// <summary>A key's number serves the next acquisition once its key is gone for good (<see cref="EtcdKeyNumbers"/>).</summary>
    KeyReuse = 2,

    /// <summary>The watch on an acquisition's own key stays for the next acquisition of its number (<see cref="EtcdKeptWatches"/>); needs <see cref="KeyReuse"/>.</summary>
    KeptWatches = 4,

    /// <summary>A waiter behind an acquisition of its own lease follows it in the process, with no watch (<see cref="EtcdFollowing"/>).</summary>
    Following = 8,

    /// <summary>A waiter also watches the key ahead of its predecessor, and takes its turn without a read (<see cref="EtcdLookAhead"/>).</summary>
    LookAhead = 16,

    /// <summary>The next in line watches its predecessor twice (<see cref="EtcdSecondWatch"/>).</summary>
    SecondWatch = 32,

    /// <summary>Every optimization: the default.</summary>
    All = Batching | KeyReuse | KeptWatches | Following | LookAhead | SecondWatch,
}
