namespace Latchkey.Etcd;

/// <summary>What the etcd-only tests count of the queue's waits; internal, not instruments (those are on <c>BackendInstruments</c>).</summary>
internal sealed class EtcdCounters
{
    private long _waitsWatching;
    private long _waitsFollowing;
    private long _keyWatchesMade;

    /// <summary>How many waits for an exclusive turn got as far as watching, their watches started and checked.</summary>
    public long WaitsWatching => Interlocked.Read(ref _waitsWatching);

    /// <summary>How many waits followed a predecessor of this provider rather than watching etcd.</summary>
    public long WaitsFollowing => Interlocked.Read(ref _waitsFollowing);

    /// <summary>How many watches of our own keys' deletions were made, rather than kept ones reused.</summary>
    public long KeyWatchesMade => Interlocked.Read(ref _keyWatchesMade);

    public void WaitWatching() => Interlocked.Increment(ref _waitsWatching);

    public void WaitFollowing() => Interlocked.Increment(ref _waitsFollowing);

    public void KeyWatchMade() => Interlocked.Increment(ref _keyWatchesMade);
}
