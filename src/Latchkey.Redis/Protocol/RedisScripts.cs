namespace Latchkey.Redis.Protocol;

/// <summary>
/// The scripts of the Redis protocol (see the <c>Scripts</c> folder for what each does), each with the names of its
/// KEYS and ARGV in position, and the shared Lua it includes (<c>common.lua</c>; <c>lock.lua</c> after it for a lock's own scripts). Key names are
/// <see cref="LockKeys"/>'s; a script opens with the same table.
/// </summary>
internal static class RedisScripts
{
    public static readonly RedisScript Acquire = RedisScript.Load(
        "acquire",
        keys: ["owner", "holders", "fence", "queue", "deadlines", "value", "intent"],
        args: ["mode", "id", "ttl", "permits", "fair", "wait", "member", "wake_prefix", "channel", "value", "floor"],
        "common");

    public static readonly RedisScript Release = RedisScript.Load(
        "release",
        keys: ["owner", "holders", "queue", "value"],
        args: ["mode", "holder", "channel", "wake_prefix"],
        "common");

    /// <summary>A lock's acquire (fair or not) alone; <c>lock.lua</c> holds the logic it shares with <see cref="BatchLock"/>.</summary>
    public static readonly RedisScript AcquireLock = RedisScript.Load(
        "acquire-lock",
        keys: ["owner", "fence", "queue", "deadlines"],
        args: ["id", "ttl", "channel", "fair", "wait", "member", "wake_prefix", "always"],
        "common",
        "lock");

    /// <summary>A lock's release (fair or not) alone; <c>lock.lua</c> holds the logic it shares with <see cref="BatchLock"/>.</summary>
    public static readonly RedisScript ReleaseLock = RedisScript.Load(
        "release-lock",
        keys: ["owner", "queue"],
        args: ["holder", "channel", "wake_prefix", "always"],
        "common",
        "lock");

    /// <summary>Locks' acquires and releases together: its KEYS and ARGV repeat per op (laid out by <see cref="LockBatcher"/>).</summary>
    public static readonly RedisScript BatchLock = RedisScript.Load("batch-lock", keys: [], args: [], "common", "lock");

    public static readonly RedisScript Renew = RedisScript.Load(
        "renew",
        keys: ["owner", "holders", "value"],
        args: ["mode", "holder", "ttl"],
        "common");

    public static readonly RedisScript Touch = RedisScript.Load(
        "touch",
        keys: ["queue", "deadlines", "intent"],
        args: ["member", "id", "ttl", "fair"],
        "common");

    public static readonly RedisScript Withdraw = RedisScript.Load(
        "withdraw",
        keys: ["queue", "deadlines", "intent"],
        args: ["member", "id", "channel", "wake_prefix"],
        "common");

    public static readonly RedisScript Status = RedisScript.Load(
        "status",
        keys: ["owner", "holders", "queue", "deadlines", "value", "intent"],
        args: [],
        "common");

    public static readonly RedisScript Fence = RedisScript.Load(
        "fence",
        keys: ["owner", "holders", "fence"],
        args: ["mode", "holder", "token"]);

    public static readonly RedisScript Proclaim = RedisScript.Load(
        "proclaim",
        keys: ["owner", "value"],
        args: ["holder", "value", "channel"]);

    public static IReadOnlyList<RedisScript> All { get; } = [Acquire, Release, AcquireLock, ReleaseLock, BatchLock, Renew, Touch, Withdraw, Status, Fence, Proclaim];
}
