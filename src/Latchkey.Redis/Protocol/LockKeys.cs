using StackExchange.Redis;

namespace Latchkey.Redis.Protocol;

/// <summary>
/// The keys and channel of one primitive: <c>&lt;prefix&gt;{&lt;kind&gt;:&lt;escaped name&gt;}:&lt;part&gt;</c>. The braces are a
/// hash tag, so every key of one primitive lands in one Redis Cluster slot and one script can touch them all.
/// An escaped name holds no braces, so no name can reach another primitive's keys.
/// </summary>
internal sealed class LockKeys
{
    public LockKeys(string prefix, LockKind kind, string escapedName)
        : this($"{prefix}{{{KindSegment(kind)}:{escapedName}}}", "owner")
    {
    }

    private LockKeys(string tag, string owner)
    {
        Tag = tag;
        Owner = Tag + ":" + owner;
        Holders = Tag + ":holders";
        Fence = Tag + ":fence";
        Queue = Tag + ":queue";
        Deadlines = Tag + ":deadlines";
        Value = Tag + ":value";
        Intent = Tag + ":intent";
        ChannelName = Tag + ":events";
        Channel = RedisChannel.Literal(ChannelName);
    }

    /// <summary>The shared part of every key, hash tag included.</summary>
    public string Tag { get; }

    /// <summary>String: the exclusive holder (lock, leader, writer) as <c>&lt;owner id&gt;:&lt;token&gt;</c>, with the lease as its TTL.</summary>
    public RedisKey Owner { get; }

    /// <summary>Sorted set: semaphore holders or readers, scored by lease expiry in server milliseconds.</summary>
    public RedisKey Holders { get; }

    /// <summary>Counter: the last fencing token drawn.</summary>
    public RedisKey Fence { get; }

    /// <summary>List: fair-mode waiters in arrival order.</summary>
    public RedisKey Queue { get; }

    /// <summary>Sorted set: each fair-mode waiter's deadline in server milliseconds.</summary>
    public RedisKey Deadlines { get; }

    /// <summary>String: the leader's election value.</summary>
    public RedisKey Value { get; }

    /// <summary>String: a waiting writer's intent, which keeps new readers out.</summary>
    public RedisKey Intent { get; }

    /// <summary>Where changes are announced: <c>r</c> released, <c>a</c> acquired, <c>q</c> queue changed, <c>v</c> value changed.</summary>
    public RedisChannel Channel { get; }

    /// <summary>The name of <see cref="Channel"/>, as scripts take it.</summary>
    public string ChannelName { get; }

    /// <summary>The keys of one slot of a Redlock semaphore: a slot is an exclusive lock, and a semaphore of N permits is N slots.</summary>
    public LockKeys ForSlot(int slot) => new(Tag, "slot:" + slot.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A key by the name the scripts give it (<see cref="RedisScript.KeyNames"/>).</summary>
    public RedisKey this[string name] => name switch
    {
        "owner" => Owner,
        "holders" => Holders,
        "fence" => Fence,
        "queue" => Queue,
        "deadlines" => Deadlines,
        "value" => Value,
        "intent" => Intent,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Not a key of a primitive: owner, holders, fence, queue, deadlines, value or intent."),
    };

    public static string KindSegment(LockKind kind) => kind switch
    {
        LockKind.Lock => "lock",
        LockKind.ReaderWriter => "rw",
        LockKind.Semaphore => "sem",
        LockKind.Election => "elect",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown lock kind."),
    };
}
