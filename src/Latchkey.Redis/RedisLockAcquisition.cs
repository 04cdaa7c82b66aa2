using Latchkey.Backend;
using Latchkey.Redis.Protocol;

namespace Latchkey.Redis;

/// <summary>One held acquisition: its holder record on each server that granted it, and its fencing token.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Lost must stay valid after release; a CancellationTokenSource without a timer holds nothing to dispose.")]
internal sealed class RedisLockAcquisition : LockAcquisition, IRenewable
{
    private readonly RedisLockBackend _backend;
    private readonly CancellationTokenSource _lost = new();
    private int _released;

    public RedisLockAcquisition(RedisLockBackend backend, LockKeys keys, char mode, string?[] holders, long token, TimeSpan ttl)
    {
        _backend = backend;
        Keys = keys;
        Mode = mode;
        Holders = holders;
        FencingToken = token;
        Ttl = ttl;
    }

    public override long FencingToken { get; }

    public override CancellationToken Lost => _lost.Token;

    public LockKeys Keys { get; }

    /// <summary>The script mode: <c>x</c> exclusive, <c>s</c> semaphore, <c>w</c> writer, <c>r</c> reader.</summary>
    public char Mode { get; }

    /// <summary>Per server, the holder record (<c>&lt;owner id&gt;:&lt;token&gt;</c>) it granted, or <see langword="null"/>.</summary>
    public string?[] Holders { get; }

    public TimeSpan Ttl { get; }

    public bool CanBeLost => true;

    internal object? RenewalEntry { get; set; }

    /// <summary>A plain exclusive lock on a single Redis, released by the lean script.</summary>
    internal bool PlainLock { get; init; }

    public override async ValueTask ReleaseAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            await _backend.ReleaseAsync(this, mustConfirm: true).ConfigureAwait(false);
        }
    }

    public override ValueTask ProclaimAsync(string value, CancellationToken cancellationToken) =>
        _lost.IsCancellationRequested
            ? throw new LockLostException("This leadership was lost; it can no longer proclaim a value.")
            : _backend.ProclaimAsync(this, value);

    public Task<RenewOutcome> RenewAsync() => _backend.RenewAsync(this);

    public void OnLost() => _ = _lost.CancelAsync();

    internal bool TryMarkReleased() => Interlocked.Exchange(ref _released, 1) == 0;
}
