using System.Diagnostics.CodeAnalysis;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Latchkey.Backend;
using Latchkey.Etcd.Client;
using Latchkey.Etcd.Protocol;
using Microsoft.Extensions.Logging;

namespace Latchkey.Etcd;

/// <summary>
/// One acquisition's key in the queue: waiting, then held, then ended. While it waits or holds, a watch on
/// the key itself reports its deletion by anyone else (an expired lease, a revoke, an operator): a waiter
/// then stops with <see cref="LockLostException"/>, a holder's <see cref="Lost"/> fires.
/// </summary>
[SuppressMessage("Reliability", "CA2213:Disposable fields should be disposed", Justification = "The token outlives us: holders keep it.")]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "A cancellation source without a timer holds nothing to free; its token is handed out and must stay valid.")]
internal sealed class EtcdLockAcquisition : LockAcquisition
{
    private const int Waiting = 0;
    private const int Held = 1;
    private const int Ended = 2;

    private readonly EtcdLockBackend _backend;
    private CancellationTokenSource? _lost; // made when someone asks for Lost: most holders never do
    private bool _lostFired;
    private EtcdKeyWatch? _ownWatch;
    private readonly Lock _watchGate = new();
    private CancellationTokenRegistration _sessionRegistration;
    private TaskCompletionSource<Wake>? _wake;
    private int _state = Waiting;
    private int _ownKeyGone;
    private long _heldAtRevision;
    private readonly EtcdKeySlots.Slot _slot;
    private readonly long _uncertainAtStart;
    private TaskCompletionSource? _heldSignal; // made when a successor follows us (EtcdQueue.WaitBehindAsync)
    private TaskCompletionSource<long>? _goneSignal;
    private bool _heldSeen;
    private long _goneAt = -1; // -1: our key is there; 0: gone or in doubt (read etcd); else deleted at that revision
    private bool _deletionAnswered; // by the release or withdraw that runs once, in its own flow

    public EtcdLockAcquisition(EtcdLockBackend backend, LockRequest request, EtcdSession session, ByteString value)
        : this(backend, request, session, backend.Keys.NewKey(request, session), value)
    {
    }

    /// <summary>An acquisition with a given key (a test's retry of the same request).</summary>
    internal EtcdLockAcquisition(EtcdLockBackend backend, LockRequest request, EtcdSession session, (ByteString Key, EtcdKeySlots.Slot Slot) key, ByteString value)
    {
        _backend = backend;
        Request = request;
        Session = session;
        _uncertainAtStart = backend.Client.UncertainCalls;
        (Key, _slot) = key;
        Value = value;
    }

    public LockRequest Request { get; }

    public EtcdSession Session { get; }

    public ByteString Key { get; }

    public ByteString Value { get; }

    /// <summary>Our key's create revision: its place in the queue and the fencing token. 0 until known.</summary>
    public long CreateRevision { get; set; }

    public bool OwnKeyGone => Volatile.Read(ref _ownKeyGone) != 0;

    /// <summary>
    /// Whether every key created before ours blocks us, so that holding means no earlier key is left: true for all
    /// but a reader, which only earlier writers block.
    /// </summary>
    public bool BlockedByAllBefore => Request.Kind != LockKind.ReaderWriter || Request.Access != LockAccess.Shared;

    public override long FencingToken => CreateRevision;

    public override CancellationToken Lost
    {
        get
        {
            var watchNow = false;
            CancellationToken token;
            lock (this)
            {
                if (_lost is null)
                {
                    _lost = new CancellationTokenSource();
                    if (_lostFired || Session.IsLost || OwnKeyGone)
                    {
                        _lostFired = true;
                        _lost.Cancel(); // nothing registered on it yet: no callback runs here
                    }
                    else if (Volatile.Read(ref _state) == Held)
                    {
                        _sessionRegistration = Session.LostToken.UnsafeRegister(static s => ((EtcdLockAcquisition)s!).FireLost(), this);
                        watchNow = _ownWatch is null;
                    }
                }

                token = _lost.Token;
            }

            if (watchNow)
            {
                // Only now is there someone to tell that our key was deleted: watch it from here on, and read
                // it once in the background if anything was written since we saw it held.
                WatchOwnKey(_heldAtRevision, waiting: false);
            }

            return token;
        }
    }

    private bool IsLost
    {
        get
        {
            lock (this)
            {
                return _lostFired || Session.IsLost || OwnKeyGone;
            }
        }
    }

    /// <summary>
    /// Starts watching our key for deletion. The watch starts now (synced: a watch from a past revision
    /// would join etcd's slow catch-up group). If the store moved on since <paramref name="seenAtRevision"/>,
    /// at which our key existed, a holder covers the gap with one read in the background; a waiter does not
    /// need to (<paramref name="waiting"/>): this watch is created before its predecessor's on the same
    /// stream, and every way out of a wait re-reads our key after that watch started, or saw nothing change.
    /// </summary>
    /// <remarks>
    /// A waiter that will not watch its predecessor on etcd (<paramref name="fromSeen"/>: it follows one of this
    /// provider's own keys) cannot lean on that ordering: its watch starts right after
    /// <paramref name="seenAtRevision"/> instead. Such a watch is synced at once if nothing was written since, else
    /// etcd delivers its events with its next catch-up pass (within 100 ms): a deletion by someone else is reported
    /// that much later, never missed.
    /// </remarks>
    public void WatchOwnKey(long seenAtRevision, bool waiting, bool fromSeen = false)
    {
        // One at a time: a follower and the holder asking for Lost may both start it, and a second caller that made
        // a watch of its own would replace (and cancel) the first one's kept watch under it.
        lock (_watchGate)
        {
            WatchOwnKeyAlone(seenAtRevision, waiting, fromSeen);
        }
    }

    private void WatchOwnKeyAlone(long seenAtRevision, bool waiting, bool fromSeen)
    {
        if (_ownWatch is not null)
        {
            return;
        }

        // A watch an earlier acquisition of our key's number kept serves us if it reports every deletion since our
        // key's creation: then there is no gap to cover, nothing to read.
        var watch = Session.Slots.KeptWatch(_slot);
        if (watch is null || !watch.Covers(CreateRevision) || !watch.Listen(this))
        {
            var start = fromSeen ? seenAtRevision + 1 : 0;
            _backend.CountKeyWatchMade();
            watch = new EtcdKeyWatch(_backend.Watches, Key, start, onCreated: waiting ? null : createdAt =>
            {
                if (createdAt != seenAtRevision)
                {
                    _ = VerifyOwnKeyAsync(rewatch: false);
                }
            });
            watch.Listen(this);
            Session.Slots.Keep(_slot, watch);
        }

        // Kept before it is published: a release that sees it finds it kept (and leaves it for the next acquisition).
        // A full fence between publishing the watch and reading the state, paired with the release's exchange of the
        // state: either the release sees this watch, or this sees the release.
        if (Interlocked.CompareExchange(ref _ownWatch, watch, null) is not null || Volatile.Read(ref _state) == Ended)
        {
            StopWatching(watch);
        }
    }

    /// <summary>Stops hearing our key's deletions: a kept watch stays for the next acquisition of its number, while others of the name are taken; any other goes.</summary>
    private void StopWatching(EtcdKeyWatch? watch)
    {
        if (watch is null)
        {
            return;
        }

        watch.StopListening(this);
        if (!Session.Slots.KeepsForLater(_slot, watch))
        {
            watch.Cancel();
        }
    }

    /// <summary>etcd dropped the watch on our key (its start revision was compacted): look at the key itself.</summary>
    public void OnOwnWatchDropped() => _ = VerifyOwnKeyAsync(rewatch: true);

    /// <summary>
    /// A fresh signal for one wait, set by the watch of the predecessor (with the revision of its events) or
    /// of our own key (<see langword="default"/>).
    /// </summary>
    public TaskCompletionSource<Wake> NewWake()
    {
        var wake = new TaskCompletionSource<Wake>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _wake, wake);
        if (OwnKeyGone)
        {
            wake.TrySetResult(default);
        }

        return wake;
    }

    public void MarkOwnKeyGone()
    {
        Volatile.Write(ref _ownKeyGone, 1);
        Volatile.Read(ref _wake)?.TrySetResult(default);
        SignalGone(0);
        FireLost();
    }

    /// <summary>
    /// For the waiter right behind us in this provider and lease: when we hold (<c>Held</c>), and when our key is
    /// gone (<c>Gone</c>: the revision of its confirmed deletion, or 0 when it is gone or in doubt and etcd must be
    /// read). Both are set before the provider's callers learn of it, so a follower never lags etcd.
    /// </summary>
    public (Task Held, Task<long> Gone) Follow()
    {
        lock (this)
        {
            _heldSignal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _goneSignal ??= new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_heldSeen)
            {
                _heldSignal.TrySetResult();
            }

            if (_goneAt >= 0)
            {
                _goneSignal.TrySetResult(_goneAt);
            }
        }

        WatchOwnKeyIfHeld();
        return (_heldSignal.Task, _goneSignal.Task);
    }

    /// <summary>
    /// A holder that got the lock at once does not watch its key (<see cref="MarkHeld"/>); once a follower waits on
    /// it, it must, so that a deletion by someone else reaches the follower as it would through etcd.
    /// </summary>
    private void WatchOwnKeyIfHeld()
    {
        if (Volatile.Read(ref _state) == Held && Volatile.Read(ref _ownWatch) is null)
        {
            WatchOwnKey(_heldAtRevision, waiting: false);
        }
    }

    private void SignalHeld()
    {
        TaskCompletionSource? held;
        lock (this)
        {
            _heldSeen = true;
            held = _heldSignal;
        }

        if (held is not null)
        {
            held.TrySetResult();
            WatchOwnKeyIfHeld();
        }
    }

    /// <summary>Lets a later waiter of this provider's lease find this acquisition and follow it (see <see cref="EtcdQueue"/>).</summary>
    public void MakeFollowable() => Session.Slots.MakeFollowable(_slot, this);

    /// <summary>
    /// Our key is gone (deleted at <paramref name="revision"/>), or in doubt (0): no follower may find us any more,
    /// so one that reads etcd after this watches etcd, and those that follow us now learn it.
    /// </summary>
    private void SignalGone(long revision)
    {
        Session.Slots.EndFollowable(_slot, this);
        TaskCompletionSource<long>? gone;
        lock (this)
        {
            if (_goneAt >= 0)
            {
                return;
            }

            _goneAt = revision;
            gone = _goneSignal;
        }

        gone?.TrySetResult(revision);
    }

    /// <summary>
    /// We hold, as seen at <paramref name="revision"/>. A holder that waited keeps the watch on its own key; one
    /// that got the lock at once starts it only when someone asks for <see cref="Lost"/>, so an uncontended
    /// cycle costs etcd no watch at all.
    /// </summary>
    public void MarkHeld(long revision)
    {
        _heldAtRevision = revision;
        Volatile.Write(ref _state, Held);
        SignalHeld();
        if (OwnKeyGone)
        {
            FireLost();
        }
    }

    public override async ValueTask ReleaseAsync()
    {
        if (Interlocked.Exchange(ref _state, Ended) == Ended)
        {
            return;
        }

        _sessionRegistration.Unregister();
        StopWatching(Volatile.Read(ref _ownWatch));
        try
        {
            if (OwnKeyGone || _backend.Leases.IsDisposed)
            {
                return; // gone already, or the provider's lease was revoked with every key on it
            }

            if (_backend.Batcher.TryBatchDeleteAsync(Key) is { } batched)
            {
                Deleted(await batched.ConfigureAwait(false));
                return;
            }

            try
            {
                Deleted((await _backend.Client.DeleteAsync(EtcdRequests.DeleteOurs(Key), CancellationToken.None).ConfigureAwait(false)).Header.Revision);
            }
            finally
            {
                _backend.Batcher.EndAlone();
            }
        }
        catch (LockBackendUnavailableException)
        {
            _backend.Leases.AddOrphan(Key);
            throw;
        }
        finally
        {
            EndUnlessDeleted();
        }
    }

    /// <summary>Ends an acquisition that wrote nothing.</summary>
    public void Abandon()
    {
        Volatile.Write(ref _state, Ended);
        FreeKey();
    }

    /// <summary>Leaves the queue after a failed, cancelled or unsuccessful acquire. Never throws: a delete that fails is retried in the background.</summary>
    public async ValueTask WithdrawAsync()
    {
        if (Interlocked.Exchange(ref _state, Ended) == Ended)
        {
            return;
        }

        StopWatching(Volatile.Read(ref _ownWatch));
        try
        {
            if (OwnKeyGone || _backend.Leases.IsDisposed)
            {
                return;
            }

            Deleted((await _backend.Client.DeleteAsync(EtcdRequests.DeleteOurs(Key), CancellationToken.None).ConfigureAwait(false)).Header.Revision);
        }
        catch (Exception ex) when (ex is LockBackendUnavailableException or LockLostException)
        {
            _backend.Logger.LogWarning(ex, "Could not delete etcd key {Key}; retrying in the background", Key.ToStringUtf8());
            _backend.Leases.AddOrphan(Key);
        }
        finally
        {
            EndUnlessDeleted();
        }
    }

    /// <summary>
    /// The end of a release or withdraw. Unless our key's deletion was answered (<see cref="Deleted"/>), the key may
    /// still be there or its fate is unknown: a follower reads etcd, and the key's number is never used again.
    /// </summary>
    /// <remarks>
    /// Asks whether <see cref="Deleted"/> ran, not whether a follower was told of a deletion: an outside deletion seen
    /// by our watch signals one too, and a number that <see cref="Deleted"/> has freed may already serve another
    /// acquisition, whose kept watch retiring it now would cancel.
    /// </remarks>
    private void EndUnlessDeleted()
    {
        if (_deletionAnswered)
        {
            return;
        }

        SignalGone(0);
        Session.Slots.Retire(_slot);
    }

    /// <summary>Our key's deletion was answered at <paramref name="revision"/>: tell a follower, then free the key's number.</summary>
    private void Deleted(long revision)
    {
        _deletionAnswered = true;
        SignalGone(revision);
        FreeKey();
    }

    /// <summary>
    /// Our key's deletion was answered: its number may serve a later acquisition, unless a request of the client
    /// was left in doubt since we began (one of ours could still be applied late; see <see cref="EtcdKeySlots"/>).
    /// </summary>
    private void FreeKey()
    {
        if (_backend.Client.UncertainCalls == _uncertainAtStart)
        {
            Session.Slots.Return(_slot);
        }
        else
        {
            Session.Slots.Retire(_slot);
        }
    }

    public override async ValueTask ProclaimAsync(string value, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _state) != Held || IsLost)
        {
            throw new LockLostException($"Leadership of '{Request.Name}' is no longer held.");
        }

        var response = await _backend.Client.TxnAsync(EtcdRequests.PutIfOurs(Key, CreateRevision, ByteString.CopyFromUtf8(value), Session.Id), cancellationToken).ConfigureAwait(false);
        if (!response.Succeeded)
        {
            MarkOwnKeyGone();
            throw new LockLostException($"Leadership of '{Request.Name}' was lost: its key is gone.");
        }
    }

    private void FireLost()
    {
        CancellationTokenSource? source;
        lock (this)
        {
            if (Volatile.Read(ref _state) != Held || _lostFired)
            {
                return;
            }

            _lostFired = true;
            source = _lost;
        }

        // Users' callbacks run on the thread pool, not on the watch reader.
        _ = source?.CancelAsync();
    }

    private async Task VerifyOwnKeyAsync(bool rewatch)
    {
        try
        {
            var response = await _backend.Client.BackgroundRangeAsync(new RangeRequest { Key = Key, KeysOnly = true }).ConfigureAwait(false);
            if (response.Kvs.Count == 0 || response.Kvs[0].CreateRevision != CreateRevision)
            {
                MarkOwnKeyGone();
            }
            else if (rewatch && Volatile.Read(ref _state) != Ended)
            {
                StopWatching(Interlocked.Exchange(ref _ownWatch, null));
                WatchOwnKey(response.Header.Revision, waiting: false);
            }
        }
        catch (Exception ex) when (ex is LockBackendUnavailableException or LockLostException)
        {
            // Unreachable: the lease's keep-alive will tell whether the lock survives.
            _backend.Logger.LogWarning(ex, "Could not check etcd key {Key}", Key.ToStringUtf8());
        }
    }

    /// <summary>
    /// Why a wait ended: the watched key's events, seen at <paramref name="Revision"/> (0 when no event did it),
    /// and whether they include the deletion of the watched key.
    /// </summary>
    internal readonly record struct Wake(long Revision, bool PredecessorDeleted)
    {
        public static Wake Of(RepeatedField<Event>? events, ByteString watchedKey)
        {
            if (events is null || events.Count == 0)
            {
                return default;
            }

            var deleted = false;
            var revision = 0L;
            foreach (var e in events)
            {
                revision = Math.Max(revision, e.Kv.ModRevision);
                deleted |= e.Type == Event.Types.EventType.Delete && e.Kv.Key == watchedKey;
            }

            return new Wake(revision, deleted);
        }
    }
}
