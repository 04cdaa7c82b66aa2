using Latchkey.Backend;

namespace Latchkey.Embedded;

/// <summary>
/// One primitive's holders and FIFO queue. A request is granted only when no earlier request waits and the
/// core's queue rule (<see cref="QueueDecision"/>) says it holds standing right behind the holders. Once it
/// has no holder and no waiter it may retire (<see cref="RetireIfIdle"/>): it leaves its space, and a caller
/// that got it just before must get the name's new state (<see cref="TryAcquire"/> returns false).
/// </summary>
internal sealed class MemoryLockState(MemoryLockSpace space, LockKind kind, string name)
{
    private readonly List<MemoryLockAcquisition> _holders = [];
    private readonly LinkedList<Waiter> _queue = new();
    private readonly HoldersThenCandidate _view = new();
    private TaskCompletionSource? _change;
    private bool _retired;

    public LockKind Kind => kind;

    public string Name => name;

    /// <summary>Acquires per <paramref name="request"/> into <paramref name="result"/>; false when this state retired meanwhile.</summary>
    public bool TryAcquire(MemoryLockBackend owner, LockRequest request, CancellationToken cancellationToken, out ValueTask<LockAcquisition?> result)
    {
        Waiter waiter;
        lock (this)
        {
            if (_retired)
            {
                result = default;
                return false;
            }

            if (_queue.Count == 0 && CanGrant(request.Access, request.Permits))
            {
                result = new ValueTask<LockAcquisition?>(Grant(owner, request.Access, request.Value));
                return true;
            }

            if (!request.Wait)
            {
                RetireIfIdle();
                result = new ValueTask<LockAcquisition?>((LockAcquisition?)null);
                return true;
            }

            cancellationToken.ThrowIfCancellationRequested();
            waiter = new Waiter(this, owner, request.Access, request.Permits, request.Value);
            waiter.Node = _queue.AddLast(waiter);
            SignalChange();
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.UnsafeRegister(static (s, ct) => ((Waiter)s!).State.Cancel((Waiter)s!, ct), waiter);
        }

        if (waiter.Owner.DisposedToken.CanBeCanceled)
        {
            waiter.DisposedRegistration = waiter.Owner.DisposedToken.UnsafeRegister(static (s, ct) => ((Waiter)s!).State.Cancel((Waiter)s!, ct), waiter);
        }

        result = new ValueTask<LockAcquisition?>(waiter.Completion.Task);
        return true;
    }

    public void Release(MemoryLockAcquisition lease)
    {
        lock (this)
        {
            if (!_holders.Remove(lease))
            {
                return;
            }

            GrantWaiters();
            SignalChange();
            RetireIfIdle();
        }
    }

    /// <summary>
    /// Retires this state if nobody holds, waits or watches it (a watcher calls it when it stops) and the space
    /// keeps more than <see cref="MemoryLockSpace.IdleStatesKept"/> states.
    /// </summary>
    public void RetireIfIdle()
    {
        lock (this)
        {
            if (_retired || _holders.Count > 0 || _queue.Count > 0 || space.StateCount <= MemoryLockSpace.IdleStatesKept)
            {
                return;
            }

            _retired = true;
            space.Retire(this);
            SignalChange(); // a watcher wakes and moves to the name's next state
        }
    }

    public void Proclaim(MemoryLockAcquisition lease, string value)
    {
        lock (this)
        {
            if (!_holders.Contains(lease))
            {
                throw new LockLostException($"'{name}' is no longer held by this handle.");
            }

            lease.Value = value;
            SignalChange();
        }
    }

    public LockStatus Snapshot()
    {
        lock (this)
        {
            var holders = _holders.Select(h => new LockParticipant($"token-{h.FencingToken}", h.Access, h.FencingToken, h.Value)).ToList();
            var waiters = _queue.Select((w, i) => new LockParticipant($"waiter-{i}", w.Access, null, w.Value)).ToList();
            return new LockStatus(kind, name, holders, waiters);
        }
    }

    /// <summary>A task that completes at the next change of holders, waiters or values.</summary>
    public Task NextChangeAsync()
    {
        lock (this)
        {
            _change ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _change.Task; // A signal, not work: completing it runs no code of ours.
        }
    }

    private void Cancel(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (this)
        {
            if (waiter.Node is null)
            {
                return; // Already granted: the acquire returns the lease.
            }

            var wasHead = waiter.Node == _queue.First;
            _queue.Remove(waiter.Node);
            waiter.Node = null;
            waiter.Completion.TrySetCanceled(cancellationToken);
            if (wasHead)
            {
                GrantWaiters();
            }

            SignalChange();
            RetireIfIdle();
        }

        // Unregister, not Dispose: the other registration's callback may be running on another thread, and Dispose
        // would wait for it while it waits for this one.
        _ = waiter.Registration.Unregister();
        _ = waiter.DisposedRegistration.Unregister();
    }

    /// <summary>Whether a request of <paramref name="access"/> standing right behind the holders holds, by the core's rule.</summary>
    private bool CanGrant(LockAccess access, int permits)
    {
        _view.Set(_holders, access);
        return QueueDecision.For(_view, _holders.Count, access, permits).Holds;
    }

    private MemoryLockAcquisition Grant(MemoryLockBackend owner, LockAccess access, string? value)
    {
        var lease = new MemoryLockAcquisition(this, owner, access, space.NextToken(), value);
        _holders.Add(lease);
        owner.Track(lease);
        if (_change is not null)
        {
            SignalChange();
        }

        return lease;
    }

    private void GrantWaiters()
    {
        while (_queue.First is { } node && CanGrant(node.Value.Access, node.Value.Permits))
        {
            var waiter = node.Value;
            _queue.RemoveFirst();
            waiter.Node = null;

            // Unregister, not Dispose: Dispose waits for a callback that is running, and that callback (Cancel) is
            // waiting for the lock we hold. Seen as a hung bench in CI.
            _ = waiter.Registration.Unregister();
            _ = waiter.DisposedRegistration.Unregister();
            waiter.Owner.Instruments.WaiterWokenUp();
            waiter.Completion.TrySetResult(Grant(waiter.Owner, waiter.Access, waiter.Value));
        }
    }

    private void SignalChange()
    {
        var change = _change;
        _change = null;
        change?.TrySetResult();
    }

    /// <summary>
    /// The holders followed by one candidate, as the queue rule reads a queue; one per state, reused under its
    /// lock, so deciding allocates nothing.
    /// </summary>
    private sealed class HoldersThenCandidate : IReadOnlyList<IQueueEntry>
    {
        private static readonly IQueueEntry SharedCandidate = new Candidate(LockAccess.Shared);
        private static readonly IQueueEntry ExclusiveCandidate = new Candidate(LockAccess.Exclusive);
        private List<MemoryLockAcquisition> _holders = [];
        private IQueueEntry _candidate = ExclusiveCandidate;

        public int Count => _holders.Count + 1;

        public IQueueEntry this[int index] => index < _holders.Count ? _holders[index] : _candidate;

        public void Set(List<MemoryLockAcquisition> holders, LockAccess candidate)
        {
            _holders = holders;
            _candidate = candidate == LockAccess.Shared ? SharedCandidate : ExclusiveCandidate;
        }

        public IEnumerator<IQueueEntry> GetEnumerator() => _holders.Cast<IQueueEntry>().Append(_candidate).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        private sealed record Candidate(LockAccess Access) : IQueueEntry;
    }

    private sealed class Waiter(MemoryLockState state, MemoryLockBackend owner, LockAccess access, int permits, string? value)
    {
        public MemoryLockBackend Owner { get; } = owner;

        public LockAccess Access { get; } = access;

        public int Permits { get; } = permits;

        public string? Value { get; } = value;

        // Continuations run on the thread pool so a releaser never runs a waiter's code under its lock.
        public TaskCompletionSource<LockAcquisition?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node { get; set; }

        public MemoryLockState State { get; } = state;

        public CancellationTokenRegistration Registration { get; set; }

        public CancellationTokenRegistration DisposedRegistration { get; set; }
    }
}
