using Microsoft.Extensions.Logging;

namespace Latchkey.Etcd;

/// <summary>How an acquisition ends: a release, a withdrawal, or nothing written; and what then becomes of its key and number.</summary>
internal sealed partial class EtcdLockAcquisition
{
    public override async ValueTask ReleaseAsync()
    {
        try
        {
            await DeleteKeyAsync(batch: true).ConfigureAwait(false);
        }
        catch (LockBackendUnavailableException)
        {
            _parts.Leases.AddOrphan(Key);
            throw;
        }
    }

    /// <summary>Ends an acquisition that wrote nothing.</summary>
    public void Abandon()
    {
        lock (_gate)
        {
            _phase = Phase.Ended;
        }

        FreeKey();
    }

    /// <summary>Leaves the queue after a failed, cancelled or unsuccessful acquire. Never throws: a delete that fails is retried in the background.</summary>
    public async ValueTask WithdrawAsync()
    {
        try
        {
            await DeleteKeyAsync(batch: false).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is LockBackendUnavailableException or LockLostException)
        {
            _parts.Logger.LogWarning(ex, "Could not delete etcd key {Key}; retrying in the background", Key.ToStringUtf8());
            _parts.Leases.AddOrphan(Key);
        }
    }

    /// <summary>Ends the acquisition, once, and deletes our key unless it is gone already (or the provider's lease was revoked with every key on it).</summary>
    private async ValueTask DeleteKeyAsync(bool batch)
    {
        if (End() is not { } ownKeyGone)
        {
            return;
        }

        try
        {
            if (ownKeyGone || _parts.Leases.IsDisposed)
            {
                return;
            }

            var batcher = batch ? _parts.Batcher : null;
            if (batcher?.TryBatchDeleteAsync(Key) is { } batched)
            {
                Deleted(await batched.ConfigureAwait(false));
                return;
            }

            try
            {
                Deleted((await _parts.Client.DeleteAsync(EtcdRequests.DeleteOurs(Key), CancellationToken.None).ConfigureAwait(false)).Header.Revision);
            }
            finally
            {
                batcher?.EndAlone();
            }
        }
        finally
        {
            EndUnlessDeleted();
        }
    }

    /// <summary>Moves to the end, once: whether our key was seen gone, or null if it had ended already. Stops hearing our key.</summary>
    private bool? End()
    {
        EtcdKeyWatch? watch;
        bool ownKeyGone;
        lock (_gate)
        {
            if (_phase == Phase.Ended)
            {
                return null;
            }

            _phase = Phase.Ended;
            _leaseRegistration.Unregister();
            (watch, _ownWatch) = (_ownWatch, null);
            ownKeyGone = _ownKeyGone;
        }

        StopWatching(watch);
        return ownKeyGone;
    }

    /// <summary>
    /// Our key is gone (its deletion answered at <paramref name="deletedAt"/>), or in doubt (null): a follower that
    /// reads etcd after this watches etcd, and those that follow us now learn it.
    /// </summary>
    private void EndKey(long? deletedAt)
    {
        lock (_gate)
        {
            if (_keyEnded)
            {
                return;
            }

            _keyEnded = true;
            _deletedAt = deletedAt;
            _goneSignal?.TrySetResult(deletedAt);
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
        lock (_gate)
        {
            if (_deletionAnswered)
            {
                return;
            }
        }

        EndKey(deletedAt: null);
        _parts.Numbers.Retire(_slot);
    }

    /// <summary>Our key's deletion was answered at <paramref name="revision"/>: tell a follower, then free the key's number.</summary>
    private void Deleted(long revision)
    {
        lock (_gate)
        {
            _deletionAnswered = true;
        }

        EndKey(revision);
        FreeKey();
    }

    /// <summary>
    /// Our key is gone: its number may serve a later acquisition, unless a request of the client was left in doubt
    /// since we began (one of ours could still be applied late; see <see cref="EtcdKeyNumbers"/>).
    /// </summary>
    private void FreeKey()
    {
        if (_parts.Client.UncertainCalls == _uncertainAtStart)
        {
            _parts.Numbers.Return(_slot);
        }
        else
        {
            _parts.Numbers.Retire(_slot);
        }
    }
}
