using Latchkey.Backend;

namespace Latchkey.Redis;

/// <summary>
/// Locks on one Redis, or on several independent masters by Redlock (held on a majority). Acquire is one
/// script (<c>SET NX PX</c> + <c>INCR</c> of the fence counter; see <see cref="RedisAcquire"/>); release and renewal
/// compare the holder record first (see <see cref="RedisLockAcquisition"/>). Waiters sleep on a pub/sub message (or,
/// in fair mode, a wake-up addressed to the queue's head) with a fallback timer at the holder's remaining TTL: no polling.
/// </summary>
internal sealed partial class RedisLockBackend : LockBackend
{
    private readonly RedisLockContext _context;

    public RedisLockBackend(RedisLockSettings settings, LockProviderOptions options, StackExchange.Redis.IConnectionMultiplexer? multiplexer = null)
    {
        Capabilities = new LockProviderCapabilities
        {
            Backend = "redis",
            Fair = settings.Fair,
            HerdFree = settings.Fair,
            DurableFencingTokens = false,
            CrossMachine = true,
            CrossProcess = true,
            Leases = true,
        };
        _context = new RedisLockContext(settings, options, Instruments, multiplexer);
    }

    public override LockProviderCapabilities Capabilities { get; }

    internal RenewalLoop Renewal => _context.Renewal;

    /// <summary>Test hook: how many acquire attempts have been answered (by every server asked).</summary>
    internal long Attempts => _context.Attempts;

    private RedisMasters Masters => _context.Masters;

    public override async ValueTask ConnectAsync(CancellationToken cancellationToken)
    {
        var tally = await Masters.VoteAsync(async (node, _) =>
        {
            await node.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
        if (tally.Errors.Count > Masters.Tolerated)
        {
            throw tally.Errors.OfType<LockAuthenticationException>().FirstOrDefault() as LockBackendUnavailableException
                ?? (Masters.Count == 1 ? tally.Errors[0] : new LockBackendUnavailableException($"Redlock reached {Masters.Count - tally.Errors.Count} of {Masters.Count} masters; it needs {Masters.Quorum}.", tally.Errors[0]));
        }
    }

    public override void ValidateOptions(LockOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Ttl < TimeSpan.FromMilliseconds(100))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Ttl, $"Redis locks need a TTL of at least 100 ms (renewal runs every TTL/3); got {options.Ttl}.");
        }

        if (options.Fair == true && Masters.Count > 1)
        {
            throw new ArgumentException("Redlock has no fair mode: Fair = true needs a single Redis.", nameof(options));
        }
    }

    public override ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_context.Disposed.IsCancellationRequested, this);
        return new RedisAcquire(_context, request).RunAsync(request.Wait, cancellationToken);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_context.Disposed.IsCancellationRequested)
        {
            return;
        }

        await _context.Disposed.CancelAsync().ConfigureAwait(false);
        await _context.Renewal.DisposeAsync().ConfigureAwait(false);
        foreach (var acquisition in _context.Held.Keys)
        {
            await acquisition.ReleaseQuietlyAsync().ConfigureAwait(false);
        }

        _context.Listeners.Reset();
        foreach (var node in Masters.Nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }
}
