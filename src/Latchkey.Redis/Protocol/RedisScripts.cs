namespace Latchkey.Redis.Protocol;

/// <summary>The scripts of the Redis protocol (see the <c>Scripts</c> folder for what each does).</summary>
internal static class RedisScripts
{
    public static readonly RedisScript Acquire = RedisScript.Load("acquire");
    public static readonly RedisScript Release = RedisScript.Load("release");
    public static readonly RedisScript AcquireLock = RedisScript.Load("acquire-lock");
    public static readonly RedisScript ReleaseLock = RedisScript.Load("release-lock");
    public static readonly RedisScript BatchLock = RedisScript.Load("batch-lock");
    public static readonly RedisScript Renew = RedisScript.Load("renew");
    public static readonly RedisScript Touch = RedisScript.Load("touch");
    public static readonly RedisScript Withdraw = RedisScript.Load("withdraw");
    public static readonly RedisScript Status = RedisScript.Load("status");
    public static readonly RedisScript Fence = RedisScript.Load("fence");
    public static readonly RedisScript Proclaim = RedisScript.Load("proclaim");

    public static IReadOnlyList<RedisScript> All { get; } = [Acquire, Release, AcquireLock, ReleaseLock, BatchLock, Renew, Touch, Withdraw, Status, Fence, Proclaim];
}
