namespace Latchkey.Etcd;

/// <summary>What a follower of this acquisition (<see cref="EtcdFollowing"/>) learns from it: when it holds, and when its key is gone.</summary>
internal sealed partial class EtcdLockAcquisition
{
    /// <summary>
    /// For the waiter right behind us in this provider and lease: when we hold (<c>Held</c>), and when our key is
    /// gone (<c>Gone</c>: the revision of its answered deletion, or null when it is gone or in doubt and etcd must be
    /// read). Both are set before the provider's callers learn of it, so a follower never lags etcd.
    /// </summary>
    public (Task Held, Task<long?> Gone) Follow()
    {
        Task held;
        Task<long?> gone;
        long? watchFrom;
        lock (_gate)
        {
            _heldSignal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_heldAt is not null)
            {
                _heldSignal.TrySetResult();
            }

            held = _heldSignal.Task;
            gone = GoneSignal().Task;

            // A holder that got the lock at once does not watch its key (MarkHeld); once a follower waits on it, it
            // must, so that a deletion by someone else reaches the follower as it would through etcd.
            watchFrom = _phase == Phase.Held && _ownWatch is null ? _heldAt : null;
        }

        if (watchFrom is { } heldAt)
        {
            WatchOwnKey(heldAt, waiting: false);
        }

        return (held, gone);
    }

    /// <summary>Makes the signal of our key's end, set at once if it has ended. Under the lock.</summary>
    private TaskCompletionSource<long?> GoneSignal()
    {
        _goneSignal ??= new TaskCompletionSource<long?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_keyEnded)
        {
            _goneSignal.TrySetResult(_deletedAt);
        }

        return _goneSignal;
    }
}
