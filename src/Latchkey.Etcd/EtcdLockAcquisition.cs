using System.Diagnostics.CodeAnalysis;
using Google.Protobuf;
using Latchkey.Backend;

namespace Latchkey.Etcd;

/// <summary>
/// One acquisition: its key in the queue, the key's create revision (its place and fencing token), its phase
/// (waiting, held, ended) and <see cref="Lost"/>. While it waits or holds, a watch on the key itself reports its
/// deletion by anyone else (an expired lease, a revoke, an operator): a waiter then stops with
/// <see cref="LockLostException"/>, a holder's <see cref="Lost"/> fires.
/// </summary>
/// <remarks>
/// Every mutable field is guarded by one lock, <see cref="_gate"/>. Tasks and tokens it completes run their
/// continuations on the thread pool, never under the lock.
/// </remarks>
[SuppressMessage("Reliability", "CA2213:Disposable fields should be disposed", Justification = "The token outlives us: holders keep it.")]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "A cancellation source without a timer holds nothing to free; its token is handed out and must stay valid.")]
internal sealed partial class EtcdLockAcquisition : LockAcquisition, IOwnKeyListener
{
    private readonly EtcdParts _parts;
    private readonly EtcdKeyNumbers.Slot? _slot;
    private readonly long _uncertainAtStart;
    private readonly Lock _gate = new();
    private Phase _phase = Phase.Waiting;
    private long _createRevision;
    private long? _heldAt; // the revision at which we were seen to hold; null until then
    private bool _ownKeyGone; // deleted by someone else, as our watch or a read saw
    private bool _lostFired;
    private CancellationTokenSource? _lost; // made when someone asks for Lost: most holders never do
    private CancellationTokenRegistration _leaseRegistration;
    private EtcdKeyWatch? _ownWatch;
    private TaskCompletionSource<EtcdWake>? _wake;
    private TaskCompletionSource? _heldSignal; // made when a successor follows us (EtcdFollowing)
    private TaskCompletionSource<long?>? _goneSignal;
    private bool _keyEnded; // our key is gone, or in doubt
    private long? _deletedAt; // the revision of its answered deletion; null while unknown
    private bool _deletionAnswered; // by the release or withdraw that runs once, in its own flow

    public EtcdLockAcquisition(EtcdParts parts, LockRequest request, EtcdLease lease, EtcdKey key, ByteString value)
    {
        _parts = parts;
        Request = request;
        Lease = lease;
        (Key, _slot) = key;
        Value = value;
        _uncertainAtStart = parts.Client.UncertainCalls;
    }

    private enum Phase
    {
        Waiting,
        Held,
        Ended,
    }

    public LockRequest Request { get; }

    public EtcdLease Lease { get; }

    public ByteString Key { get; }

    public ByteString Value { get; }

    /// <summary>Our key's create revision: its place in the queue and the fencing token. 0 until entered.</summary>
    public long CreateRevision
    {
        get
        {
            lock (_gate)
            {
                return _createRevision;
            }
        }
    }

    public bool OwnKeyGone
    {
        get
        {
            lock (_gate)
            {
                return _ownKeyGone;
            }
        }
    }

    /// <summary>Whether our key is gone or in doubt: a follower must no longer find us.</summary>
    public bool KeyEnded
    {
        get
        {
            lock (_gate)
            {
                return _keyEnded;
            }
        }
    }

    /// <summary>
    /// Whether every key created before ours blocks us, so that holding means no earlier key is left: true for all
    /// but a reader, which only earlier writers block.
    /// </summary>
    public bool BlockedByAllBefore => Request.Kind != LockKind.ReaderWriter || Request.Access != LockAccess.Shared;

    /// <summary>What this acquires, for messages: <c>lock 'x'</c>, <c>read lock 'x'</c>, …</summary>
    public string What => Request.Kind switch
    {
        LockKind.Lock => $"lock '{Request.Name}'",
        LockKind.ReaderWriter => $"{(Request.Access == LockAccess.Shared ? "read" : "write")} lock '{Request.Name}'",
        LockKind.Semaphore => $"semaphore '{Request.Name}'",
        _ => $"election '{Request.Name}'",
    };

    public override long FencingToken => CreateRevision;

    /// <summary>Reads the lease's clock now; reading <see cref="Lost"/> instead would start a watch of our key.</summary>
    public override bool CheckLost()
    {
        if (Lease.CheckExpired())
        {
            return true;
        }

        lock (_gate)
        {
            return _lostFired || _ownKeyGone;
        }
    }

    public override CancellationToken Lost
    {
        get
        {
            long? watchFrom = null;
            CancellationToken token;
            lock (_gate)
            {
                if (_lost is null)
                {
                    _lost = new CancellationTokenSource();
                    if (_lostFired || Lease.IsLost || _ownKeyGone)
                    {
                        _lostFired = true;
                        _lost.Cancel(); // nothing registered on it yet: no callback runs here
                    }
                    else if (_phase == Phase.Held)
                    {
                        _leaseRegistration = Lease.LostToken.UnsafeRegister(static s => ((EtcdLockAcquisition)s!).FireLost(), this);
                        watchFrom = _ownWatch is null ? _heldAt : null;
                    }
                }

                token = _lost.Token;
            }

            if (watchFrom is { } heldAt)
            {
                // Only now is there someone to tell that our key was deleted: watch it from here on, and read
                // it once in the background if anything was written since we saw it held.
                WatchOwnKey(heldAt, waiting: false);
            }

            return token;
        }
    }

    /// <summary>Our entry was answered: our key exists, created at <paramref name="createRevision"/>.</summary>
    public void Entered(long createRevision)
    {
        lock (_gate)
        {
            _createRevision = createRevision;
        }
    }

    /// <summary>
    /// A fresh signal for one wait, set by the watch of the predecessor (with the revision of its events) or
    /// of our own key (<see langword="default"/>).
    /// </summary>
    public TaskCompletionSource<EtcdWake> NewWake()
    {
        var wake = new TaskCompletionSource<EtcdWake>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _wake = wake;
            if (_ownKeyGone)
            {
                wake.TrySetResult(default);
            }
        }

        return wake;
    }

    public void MarkOwnKeyGone()
    {
        lock (_gate)
        {
            _ownKeyGone = true;
            _wake?.TrySetResult(default);
        }

        EndKey(deletedAt: null);
        FireLost();
    }

    /// <summary>
    /// We hold, as seen at <paramref name="revision"/>. A holder that waited keeps the watch on its own key; one
    /// that got the lock at once starts it only when someone asks for <see cref="Lost"/> or follows it, so an
    /// uncontended cycle costs etcd no watch at all.
    /// </summary>
    public void MarkHeld(long revision)
    {
        bool followed;
        bool gone;
        lock (_gate)
        {
            _heldAt = revision;
            _phase = Phase.Held;
            followed = _heldSignal?.TrySetResult() == true && _ownWatch is null;
            gone = _ownKeyGone;
        }

        if (followed)
        {
            WatchOwnKey(revision, waiting: false);
        }

        if (gone)
        {
            FireLost();
        }
    }

    public override async ValueTask ProclaimAsync(string value, CancellationToken cancellationToken)
    {
        long createRevision;
        lock (_gate)
        {
            if (_phase != Phase.Held || _lostFired || Lease.IsLost || _ownKeyGone)
            {
                throw new LockLostException($"Leadership of '{Request.Name}' is no longer held.");
            }

            createRevision = _createRevision;
        }

        var response = await _parts.Client.TxnAsync(EtcdRequests.PutIfOurs(Key, createRevision, ByteString.CopyFromUtf8(value), Lease.Id), cancellationToken).ConfigureAwait(false);
        if (!response.Succeeded)
        {
            MarkOwnKeyGone();
            throw new LockLostException($"Leadership of '{Request.Name}' was lost: its key is gone.");
        }
    }

    private void FireLost()
    {
        CancellationTokenSource? source;
        lock (_gate)
        {
            if (_phase != Phase.Held || _lostFired)
            {
                return;
            }

            _lostFired = true;
            source = _lost;
        }

        // Users' callbacks run on the thread pool, not on the watch reader.
        _ = source?.CancelAsync();
    }
}
