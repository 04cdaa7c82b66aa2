using Latchkey.Backend;
using Latchkey.Redis.Protocol;

namespace Latchkey.Redis;

/// <summary>The state of one acquire and of one waiter.</summary>
internal sealed partial class RedisLockBackend
{
    /// <summary>One acquire's fixed arguments, shared by its attempts.</summary>
    internal sealed class AcquireArgs
    {
        public AcquireArgs(RedisLockBackend backend, LockRequest request)
        {
            Keys = new LockKeys(backend._settings.Prefix, request.Kind, request.EscapedName);
            Mode = request.Kind switch
            {
                LockKind.Semaphore => backend._nodes.Length > 1 ? 'k' : 's',
                LockKind.ReaderWriter => request.Access == LockAccess.Shared ? 'r' : 'w',
                _ => 'x',
            };
            OwnerId = backend.NewOwnerId();
            Fair = backend._nodes.Length == 1 && (request.Options.Fair ?? backend._settings.Fair);
            Member = Fair ? $"{backend._providerId}|{OwnerId}|{Mode}" : string.Empty;
            TtlMs = (long)request.Options.Ttl.TotalMilliseconds;
            Permits = request.Permits;
            Value = request.Value;
            PlainLock = request.Kind == LockKind.Lock && !Fair && backend._nodes.Length == 1;
        }

        /// <summary>An exclusive lock, not fair, on a single Redis: the lean scripts serve it.</summary>
        public bool PlainLock { get; }

        public LockKeys Keys { get; }

        public char Mode { get; }

        public string OwnerId { get; }

        public bool Fair { get; }

        public string Member { get; }

        public long TtlMs { get; }

        public int Permits { get; }

        public string? Value { get; }
    }

    private sealed record AttemptResult(RedisLockAcquisition? Lease, long RetryInMs, bool IgnorePulse);

    /// <summary>A waiter's place (fair-queue deadline or writer intent), kept alive by the renewal loop.</summary>
    private sealed class WaiterPlace(RedisLockBackend backend, AcquireArgs attempt, Pulse pulse) : IRenewable
    {
        public TimeSpan Ttl => TimeSpan.FromMilliseconds(attempt.TtlMs);

        public bool CanBeLost => false;

        public Task<RenewOutcome> RenewAsync() => backend.TouchAsync(attempt);

        // Dropped from the queue: retry now, which joins it again.
        public void OnLost() => pulse.Fire();
    }
}
