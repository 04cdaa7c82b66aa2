using System.Text;
using Latchkey.Backend;
using Latchkey.ZooKeeper.Client;

namespace Latchkey.ZooKeeper;

/// <summary>
/// A held node. <see cref="Lost"/> fires when the session ends (expired, or unconfirmed for longer than it
/// could live) or when another client deletes the node.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Lost stays observable after release; a CancellationTokenSource without a timer needs no disposal.")]
internal sealed class ZooKeeperLockAcquisition : LockAcquisition
{
    private readonly ZooKeeperHeldAcquisitions _held;
    private readonly ZooKeeperClient _client;
    private readonly string _path;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenRegistration _sessionRegistration;
    private readonly Action<WatchedEvent> _watcher;
    private int _released;

    public ZooKeeperLockAcquisition(ZooKeeperHeldAcquisitions held, ZooKeeperClient client, string path, long czxid)
    {
        _held = held;
        _client = client;
        _path = path;
        FencingToken = czxid;
        _watcher = OnOwnNodeEvent;
        _sessionRegistration = client.SessionEnded.UnsafeRegister(static s => ((ZooKeeperLockAcquisition)s!).SignalLost(), this);
    }

    public override long FencingToken { get; }

    public override CancellationToken Lost => _lost.Token;

    public override bool CheckLost() => _client.CheckSessionExpired() || _lost.IsCancellationRequested;

    public string Path => _path;

    /// <summary>Watches our own node (fire and forget: the reply comes in order behind our other requests).</summary>
    public void WatchOwnNode() => _ = WatchOwnNodeAsync();

    /// <summary>Marks the lease released without a delete (the provider closes the session, which deletes it).</summary>
    public void MarkReleased()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _sessionRegistration.Dispose();
            _client.ForgetWatcher(_path, _watcher);
        }
    }

    public override async ValueTask ReleaseAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        _held.Remove(this);
        _client.ForgetWatcher(_path, _watcher);
        var gone = await ZooKeeperQueueNodes.DeleteOwnAsync(_client, _path).ConfigureAwait(false);
        await _sessionRegistration.DisposeAsync().ConfigureAwait(false);
        if (!gone)
        {
            throw new LockBackendUnavailableException(
                $"Could not confirm the release of {_path}: the ZooKeeper session was given up without an answer from the server. The node goes when the server expires the session (within {_client.SessionTimeout.TotalSeconds:0.##} s).");
        }
    }

    public override async ValueTask ProclaimAsync(string value, CancellationToken cancellationToken)
    {
        if (_lost.IsCancellationRequested || Volatile.Read(ref _released) != 0)
        {
            throw new LockLostException($"Leadership of {_path} is no longer held.");
        }

        try
        {
            await _client.SetDataAsync(_path, Encoding.UTF8.GetBytes(value), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code is ZooKeeperErrorCode.NoNode or ZooKeeperErrorCode.SessionExpired)
        {
            throw new LockLostException($"Leadership of {_path} was lost: {ex.Message}", ex);
        }
    }

    private async Task WatchOwnNodeAsync()
    {
        try
        {
            if (await _client.ExistsAsync(_path, _watcher).ConfigureAwait(false) is null)
            {
                SignalLost();
            }
        }
        catch (ZooKeeperException)
        {
            // Connection loss: the session's own end (or a reconnect with setWatches) covers it.
        }
    }

    private void OnOwnNodeEvent(WatchedEvent e)
    {
        switch (e.Type)
        {
            case WatchedEventType.NodeDeleted:
                SignalLost();
                break;
            case WatchedEventType.NodeDataChanged or WatchedEventType.NodeCreated when Volatile.Read(ref _released) == 0:
                WatchOwnNode(); // One-shot watches: set it again after a proclaim.
                break;
        }
    }

    private void SignalLost()
    {
        if (Volatile.Read(ref _released) == 0)
        {
            try
            {
                _lost.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
