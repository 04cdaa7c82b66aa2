using Latchkey.Etcd.Protocol;
using Microsoft.Extensions.Logging;

namespace Latchkey.Etcd;

/// <summary>The watch on our own key: how an acquisition hears that someone else deleted it.</summary>
internal sealed partial class EtcdLockAcquisition
{
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
    /// etcd delivers its events with its next catch-up pass: a deletion by someone else is reported that much
    /// later, never missed. A watch kept by an earlier acquisition of our key (<see cref="EtcdKeptWatches"/>)
    /// serves us if it reports every deletion since our key's creation: then there is no gap to cover.
    /// </remarks>
    public void WatchOwnKey(long seenAtRevision, bool waiting, bool fromSeen = false)
    {
        // Under the lock: a follower and the holder asking for Lost may both start it, and a release must see it.
        lock (_gate)
        {
            if (_ownWatch is not null || _phase == Phase.Ended)
            {
                return;
            }

            var watch = _parts.Numbers.KeptWatch(_slot);
            if (watch is null || !watch.Covers(_createRevision) || !watch.Listen(this))
            {
                _parts.Counters.KeyWatchMade();
                watch = new EtcdKeyWatch(_parts.Watches, Key, fromSeen ? seenAtRevision + 1 : 0, onCreated: waiting ? null : createdAt =>
                {
                    if (createdAt != seenAtRevision)
                    {
                        _ = VerifyOwnKeyAsync(rewatch: false);
                    }
                });
                watch.Listen(this);
                _parts.Numbers.Keep(_slot, watch);
            }

            _ownWatch = watch;
        }
    }

    void IOwnKeyListener.OnOwnWatchDropped() => _ = VerifyOwnKeyAsync(rewatch: true);

    void IOwnKeyListener.OnOwnKeyDeleted() => MarkOwnKeyGone();

    /// <summary>Stops hearing our key's deletions: a kept watch stays for the next acquisition of its number, while others of the name are taken; any other goes.</summary>
    private void StopWatching(EtcdKeyWatch? watch)
    {
        if (watch is null)
        {
            return;
        }

        watch.StopListening(this);
        if (!_parts.Numbers.KeepsForLater(_slot, watch))
        {
            watch.Cancel();
        }
    }

    private async Task VerifyOwnKeyAsync(bool rewatch)
    {
        try
        {
            var response = await _parts.Client.BackgroundRangeAsync(new RangeRequest { Key = Key, KeysOnly = true }).ConfigureAwait(false);
            if (response.Kvs.Count == 0 || response.Kvs[0].CreateRevision != CreateRevision)
            {
                MarkOwnKeyGone();
                return;
            }

            EtcdKeyWatch? dropped = null;
            lock (_gate)
            {
                if (!rewatch || _phase == Phase.Ended)
                {
                    return;
                }

                (dropped, _ownWatch) = (_ownWatch, null);
            }

            StopWatching(dropped);
            WatchOwnKey(response.Header.Revision, waiting: false);
        }
        catch (Exception ex) when (ex is LockBackendUnavailableException or LockLostException)
        {
            // Unreachable: the lease's keep-alive will tell whether the lock survives.
            _parts.Logger.LogWarning(ex, "Could not check etcd key {Key}", Key.ToStringUtf8());
        }
    }
}
